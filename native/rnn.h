// Native elementwise parts of the GRU and LSTM cells (rnn.cc).
#pragma once

#include "args.h"

namespace attend {

// Adds gruForward, gruBackward, lstmForward, lstmCellBackward and lstmHiddenBackward to the addon's exports.
void register_rnn(napi_env env, napi_value exports);

}  // namespace attend
