// Native dropout mask: Threefry-2x32 blocks keyed by the xoshiro128** stream (random.cc).
#pragma once

#include "args.h"

namespace attend {

// Adds keepMask to the addon's exports.
void register_random(napi_env env, napi_value exports);

}  // namespace attend
