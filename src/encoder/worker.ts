/**
 * The encoder's dedicated module worker. The page never runs model code: this file only wires
 * messages to `WorkerHost`; TensorFlow.js and the chosen backend arrive as lazy chunks once the
 * weights are verified (host.ts → runtime.ts → backend.ts).
 */
import { WorkerHost } from './host'
import type { FromWorker, ToWorker } from './messages'

const scope = self as unknown as {
  postMessage(m: FromWorker, transfer?: Transferable[]): void
  onmessage: ((ev: MessageEvent<ToWorker>) => void) | null
}
const host = new WorkerHost((m, transfer) => scope.postMessage(m, transfer ?? []))
scope.onmessage = (ev) => host.handle(ev.data)
