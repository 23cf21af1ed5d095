import { readFileSync } from 'node:fs'
import { parseSimilarity } from './interest'
const raw = readFileSync('public/model/similarity.json', 'utf8')
for (let r = 0; r < 5; r++) {
let t0 = performance.now(); const j = JSON.parse(raw); const t1 = performance.now(); parseSimilarity(j); const t2 = performance.now()
console.log('JSON.parse', (t1 - t0).toFixed(1), 'ms; parseSimilarity', (t2 - t1).toFixed(1), 'ms')
}
