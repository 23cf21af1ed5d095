import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { main } from './calibrate-cli'
import { UsageError } from './cli-common'

describe('calibrate-cli (OOV row re-learning)', () => {
  it('--help exits 0; a missing --model or --out, a bad --id-dropout, and --out = --model without --force are usage errors naming the flag', async () => {
    expect(await main(['--help'])).toBe(0)
    await expect(main(['--out', mkdtempSync(join(tmpdir(), 'lr-cal-'))])).rejects.toThrow(/--model DIR is required/)
    await expect(main(['--model', 'public/model'])).rejects.toThrow(/--out DIR is required/)
    await expect(main(['--model', 'public/model', '--out', 'public/model'])).rejects.toThrow(/--force/)
    await expect(main(['--model', 'public/model', '--out', join(mkdtempSync(join(tmpdir(), 'lr-cal-')), 'x'), '--id-dropout', '0'])).rejects.toThrow(/--id-dropout/)
    await expect(main(['--model', 'public/model', '--out', 'x', '--bogus'])).rejects.toBeInstanceOf(UsageError)
  })
})
