export { createEngine } from './engine'
export type * from './types'
