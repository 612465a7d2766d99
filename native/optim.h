// Native optimiser kernels (Adam's update, the sum of squares for gradient clipping).
#pragma once

#include "args.h"

namespace attend {

// Adds adamStep and sumOfSquares to the addon's exports.
void register_optim(napi_env env, napi_value exports);

}  // namespace attend
