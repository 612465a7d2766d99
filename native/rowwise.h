// Native row-wise kernels (softmax, log-softmax, layer norm, forward and backward).
#pragma once

#include "args.h"

namespace attend {

// Adds the row-wise functions to the addon's exports.
void register_rowwise(napi_env env, napi_value exports);

}  // namespace attend
