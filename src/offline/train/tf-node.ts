/**
 * TensorFlow.js for the offline tools in Node: the WASM backend (tfjs-node cannot be installed
 * on our machines; the WASM backend is ~5× faster than the pure-JS CPU backend). Its .wasm
 * binaries ship inside node_modules, so nothing is downloaded.
 */
import * as tf from '@tensorflow/tfjs-core'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import '@tensorflow/tfjs-backend-cpu'
// Gradients are not part of tfjs-core's Node entry (the browser runtime never trains), and
// tfjs-core's ESM files use directory imports that Node refuses; the union package's Node
// bundle registers them (into the same global registry).
import '@tensorflow/tfjs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'

let ready: Promise<string> | null = null

/** Select the WASM backend (or `backend` if given, e.g. 'cpu' for tests); idempotent. */
export function initTf(backend: 'wasm' | 'cpu' = 'wasm'): Promise<string> {
  if (ready) return ready
  ready = (async () => {
    if (backend === 'wasm') {
      const require = createRequire(import.meta.url)
      const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))
      setWasmPaths(dist + '/')
      const ok = await tf.setBackend('wasm')
      if (!ok) throw new Error('tfjs WASM backend failed to initialise')
    } else {
      await tf.setBackend('cpu')
    }
    await tf.ready()
    return tf.getBackend()
  })()
  return ready
}

export { tf }
