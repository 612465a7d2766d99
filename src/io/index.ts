export {
  encodeSafetensors,
  decodeSafetensors,
  inspectSafetensors,
  halfToFloat,
  SAFETENSORS_MAX_HEADER_BYTES,
} from './safetensors.js';
export type {
  SafetensorsEntry,
  SafetensorsHeader,
  DecodeSafetensorsOptions,
  InspectSafetensorsOptions,
} from './safetensors.js';
