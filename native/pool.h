// A persistent pool of worker threads for the native kernels.
//
// A call is split into parts that the calling (JavaScript) thread and the workers claim one at a
// time from a shared counter; workers sleep on a condition variable between calls. The caller
// never waits for a worker that has not woken up yet: on a loaded machine a worker may not get a
// core for milliseconds, and then the caller simply runs every part itself (a late worker finds the
// call closed and goes back to sleep). The caller never spins: on a loaded 2-core machine a
// spinning thread steals the core of the one it waits for (measured 4× slower in the WASM pool,
// src/node/threads.ts). A worker does spin, briefly, after each call (ATTEND_POOL_SPIN_US, default
// 200 µs, 0 = never; with the x86 `pause` hint): a training step makes hundreds of small
// products tens of µs apart, and waking a sleeping thread takes about as long as one of them
// runs, so without it the worker joins each call late or not at all. As OpenBLAS's and OpenMP's
// threads do, for far longer (OpenBLAS: about 0.1 s). The pool is sized once,
// min(2, hardware_concurrency) by default, so the kernels never run more threads than cores.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace attend {

class Pool {
 public:
  // workers: threads besides the caller (size − 1).
  explicit Pool(int workers);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Threads available to one call, the caller included.
  int size() const { return static_cast<int>(threads_.size()) + 1; }

  // Runs fn(0) … fn(parts − 1), each once, on the calling thread and up to parts − 1 workers; returns
  // when all are done. Calls from several threads are serialised.
  void run(int parts, const std::function<void(int)>& fn);

 private:
  void work();
  // Claims and runs parts of the current job until none is left.
  void drain(const std::function<void(int)>& fn, int parts);

  std::mutex call_;  // one run() at a time
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::atomic<uint64_t> generation_{0};  // written under mu_, read by spinning workers without it
  const int64_t spin_ns_;
  const std::function<void(int)>* job_ = nullptr;  // null: no call open
  int parts_ = 0;
  int active_ = 0;  // workers inside the current call
  std::atomic<int> next_{0};
  std::vector<std::thread> threads_;
};

// The process-wide pool, created at the first call with min(2, hardware_concurrency) threads in all
// (or `threads` when given first and smaller than the cores). Never destroyed: its workers sleep
// until the process exits.
Pool& pool(int threads = 0);

}  // namespace attend
