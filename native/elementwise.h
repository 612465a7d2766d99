// Native elementwise kernels of a training step: arithmetic with a row broadcast, dropout's
// product, relu with dropout (elementwise.cc).
#pragma once

#include "args.h"

namespace attend {

// Adds arith, maskScale, reluScale and reluScaleBackward to the addon's exports.
void register_elementwise(napi_env env, napi_value exports);

}  // namespace attend
