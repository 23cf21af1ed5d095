import type { BackendName } from '../engine/types'

/** The backends, in the order they are preferred (kept apart from backend.ts so the page-side client stays free of tfjs imports). */
export const BACKENDS: readonly BackendName[] = ['webgpu', 'wasm', 'cpu']
