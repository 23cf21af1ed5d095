import { defineConfig } from '@playwright/test'

/**
 * Browsers cannot be downloaded on our build machines, so Playwright drives the system
 * Chromium. Override with LOCALRANK_CHROMIUM=/path/to/chrome; set LOCALRANK_CHROMIUM=bundled
 * to use Playwright's own browser after `npx playwright install chromium`.
 */
const exe = process.env.LOCALRANK_CHROMIUM ?? '/usr/bin/chromium'
export const chromiumArgs = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const PORT = Number(process.env.LOCALRANK_E2E_PORT ?? 4317)

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  testIgnore: ['perf/**'],
  timeout: 60_000,
  workers: 1,
  reporter: process.env.CI ? 'line' : 'list',
  use: {
    baseURL: `http://localhost:${PORT}`,
    browserName: 'chromium',
    launchOptions: {
      ...(exe === 'bundled' ? {} : { executablePath: exe }),
      args: chromiumArgs,
    },
  },
  webServer: {
    command: `npx tsx e2e/serve.ts --port ${PORT}`,
    url: `http://localhost:${PORT}/healthz`,
    reuseExistingServer: !process.env.CI,
    cwd: '..',
  },
})
