// Placeholder until the engine lands (see src/engine/). Kept compiling so helpers can build.
export { LocalRankError, ValidationError, StorageError, BackendError, ModelError } from './errors'
