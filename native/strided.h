// Native strided copy and scatter, the kernels behind permute, slice, expand and pad (strided.cc).
#pragma once

#include "args.h"

namespace attend {

// Adds stridedCopy and stridedScatter to the addon's exports.
void register_strided(napi_env env, napi_value exports);

}  // namespace attend
