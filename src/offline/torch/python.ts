import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Directory holding the `localrank_torch` package (goes on PYTHONPATH). */
export const TORCH_DIR = dirname(fileURLToPath(import.meta.url))

let found: string | null | undefined

/**
 * A Python 3 that can import torch: $LOCALRANK_PYTHON, else `python3`, else Debian's
 * /usr/bin/python3 (python3-torch installs there; a pyenv or venv `python3` earlier on PATH
 * usually lacks it). null when none can.
 */
export function findPython(): string | null {
  if (found !== undefined) return found
  const cands = [process.env.LOCALRANK_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c)
  for (const c of cands) {
    const r = spawnSync(c, ['-c', 'import torch'], { stdio: 'ignore' })
    if (r.status === 0) return (found = c)
  }
  return (found = null)
}

export const NO_TORCH = "no Python with PyTorch found: install Debian's python3-torch (apt-get install -y python3-torch) or set LOCALRANK_PYTHON"

/** Environment for a Python child: the package on PYTHONPATH, no .pyc files in the tree. */
export function pythonEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const pp = process.env.PYTHONPATH ? `${TORCH_DIR}:${process.env.PYTHONPATH}` : TORCH_DIR
  return { ...process.env, PYTHONPATH: pp, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', ...extra }
}

export const CONFORM = join(TORCH_DIR, 'localrank_torch', 'conform.py')
