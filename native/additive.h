// Native additive (Bahdanau) attention scores, forward and backward (additive.cc).
#pragma once

#include "args.h"

namespace attend {

// Adds additiveForward and additiveBackward to the addon's exports.
void register_additive(napi_env env, napi_value exports);

}  // namespace attend
