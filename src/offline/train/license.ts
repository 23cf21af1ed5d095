import { existsSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { Dataset } from '../data/types'
import { GROUPLENS_NOTICE } from './export'

/**
 * The licence text an exported model carries, from the data it was trained on: a model is a
 * transformation of its training data, so it travels under that data's terms, not under the
 * project's MIT licence (and a model trained on a shop's own log must not claim MovieLens).
 *
 * Order: the `--license` / `--license-file` flag; MovieLens data (the GroupLens notice, naming
 * the variant); a LICENSE/LICENCE file beside the event log; else a plain statement that no
 * licence was given, with `warning` set so the CLI can say so.
 */
export function licenseFor(ds: Dataset, dataPath: string, flag: { text?: string; file?: string } = {}): { text: string; source: string; warning?: string } {
  if (flag.text !== undefined) {
    if (!flag.text.trim()) throw new Error('--license is empty')
    return { text: flag.text.trim(), source: '--license' }
  }
  if (flag.file !== undefined) {
    if (!existsSync(flag.file) || !statSync(flag.file).isFile()) throw new Error(`--license-file: no file at ${flag.file}`)
    return { text: readFileSync(flag.file, 'utf8').trim(), source: flag.file }
  }
  if (ds.name.startsWith('movielens')) {
    const variant = ds.name === 'movielens-1m' ? '1M' : ds.name === 'movielens-100k' ? '100K' : basename(dataPath.replace(/\/+$/, '')).replace(/^movielens-?/, '') || 'latest-small'
    return { text: GROUPLENS_NOTICE.replace('"latest-small"', `"${variant}"`), source: `${ds.name} (GroupLens terms)` }
  }
  const dir = existsSync(dataPath) && statSync(dataPath).isDirectory() ? dataPath : dirname(dataPath)
  for (const f of ['LICENSE', 'LICENSE.txt', 'LICENSE.md', 'LICENCE', 'LICENCE.txt', 'LICENCE.md']) {
    const p = join(dir, f)
    if (existsSync(p) && statSync(p).isFile()) return { text: readFileSync(p, 'utf8').trim(), source: p }
  }
  const what = basename(dataPath)
  return {
    text: `Trained on the event log ${what} (${ds.users.length} users). Its licence was not given to the trainer; the data owner's terms apply to this model.`,
    source: 'none',
    warning: `no licence for ${what}: the model says so; pass --license TEXT or --license-file FILE to name the data's terms`,
  }
}
