// Argument checks shared by the N-API functions. Each returns false with a JavaScript RangeError
// pending (the caller then returns nullptr), naming the kernel, the argument, expected and received.
#pragma once

#define NAPI_VERSION 8
#include <node_api.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "gemm.h"

namespace attend {

// An exception is pending when these return false; the caller returns nullptr.
inline bool fail(napi_env env, const std::string& message) {
  napi_throw_range_error(env, nullptr, message.c_str());
  return false;
}

inline bool get_int(napi_env env, napi_value v, const char* what, const char* name, int64_t& out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !std::isfinite(d) || d < 0 || d != std::floor(d) || d > 9e15)
    return fail(env, std::string(what) + ": " + name + " must be a non-negative integer");
  out = static_cast<int64_t>(d);
  return true;
}

inline bool get_bool(napi_env env, napi_value v, bool& out) {
  napi_value b;
  napi_coerce_to_bool(env, v, &b);
  return napi_get_value_bool(env, b, &out) == napi_ok;
}

// A typed array of `want` (a `kind`, elements E) holding at least `need` elements (need = −1: any
// length; its length is returned in `length`).
template <typename E>
inline bool get_typed(napi_env env, napi_value v, napi_typedarray_type want, const char* kind, const char* what,
                      const char* name, double need, E*& data, size_t* length) {
  bool is_typed = false;
  napi_is_typedarray(env, v, &is_typed);
  napi_typedarray_type type;
  size_t len = 0;
  void* ptr = nullptr;
  if (!is_typed || napi_get_typedarray_info(env, v, &type, &len, &ptr, nullptr, nullptr) != napi_ok || type != want)
    return fail(env, std::string(what) + ": " + name + " must be a " + kind);
  if (need >= 0 && double(len) < need)
    return fail(env, std::string(what) + ": " + name + " must hold at least " + std::to_string(int64_t(need)) +
                         " elements for these sizes, received " + std::to_string(len));
  data = static_cast<E*>(ptr);
  if (length) *length = len;
  return true;
}

inline bool get_f32(napi_env env, napi_value v, const char* what, const char* name, double need, float*& data,
                    size_t* length = nullptr) {
  return get_typed(env, v, napi_float32_array, "Float32Array", what, name, need, data, length);
}

// A mask: dropout's keep, attention's key padding.
inline bool get_u8(napi_env env, napi_value v, const char* what, const char* name, double need, uint8_t*& data) {
  return get_typed(env, v, napi_uint8_array, "Uint8Array", what, name, need, data, nullptr);
}

// A Float32Array as above, or null/undefined (then data = nullptr).
inline bool get_f32_or_null(napi_env env, napi_value v, const char* what, const char* name, double need,
                            float*& data) {
  napi_valuetype type;
  napi_typeof(env, v, &type);
  if (type == napi_null || type == napi_undefined) {
    data = nullptr;
    return true;
  }
  return get_f32(env, v, what, name, need, data);
}

inline bool get_isa(napi_env env, napi_value v, Isa& isa) {
  int64_t i;
  if (!get_int(env, v, "native", "isa", i)) return false;
  if (i > 2 || !isa_supported(static_cast<Isa>(i)))
    return fail(env, "native: instruction set " + std::to_string(i) + " is not supported by this CPU");
  isa = static_cast<Isa>(i);
  return true;
}

template <size_t N>
inline bool get_args(napi_env env, napi_callback_info info, napi_value (&argv)[N], const char* what) {
  size_t argc = N;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < N) return fail(env, std::string(what) + ": expected " + std::to_string(N) + " arguments");
  return true;
}

inline void export_function(napi_env env, napi_value exports, const char* name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &f);
  napi_set_named_property(env, exports, name, f);
}

}  // namespace attend
