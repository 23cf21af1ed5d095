import type { IncomingMessage, ServerResponse } from 'node:http'
import { defineConfig, type Plugin } from 'vite'

/**
 * tfjs-backend-wasm's threaded build hands each pthread worker its main script as a Blob made
 * from `wasmFactoryThreadedSimd.toString()`: the factory function's own source text. Bundled and
 * minified, that text refers to names of the module around it (`_scriptDir`, renamed `e`, whose
 * `typeof` guard the minifier dropped because it could see the declaration), so every pthread
 * died with "ReferenceError: e is not defined" on cross-origin-isolated pages and the encoder
 * with them (issue 13 #21). This rewrites that one statement to give the pthreads the untouched
 * emscripten script instead, as a file of its own (`?url`: emitted as is, neither bundled nor
 * minified), resolved to an absolute URL because a pthread worker runs from a blob: URL.
 * The build fails if tfjs changes the statement, rather than shipping broken threads again.
 */
function wasmThreadsMainScript(): Plugin {
  const statement = /factoryConfig\.mainScriptUrlOrBlob\s*=\s*new Blob\(\[[^\]]*wasmFactoryThreadedSimd\.toString\(\)\s*\],\s*\{[^}]*\}\);/
  return {
    name: 'localrank:wasm-threads-main-script',
    enforce: 'pre',
    transform(code, id) {
      if (!/[\\/]@tensorflow[\\/]tfjs-backend-wasm[\\/]dist[\\/]backend_wasm\.js$/.test(id)) return null
      if (!statement.test(code)) this.error('tfjs-backend-wasm no longer builds mainScriptUrlOrBlob from wasmFactoryThreadedSimd.toString(): revisit wasmThreadsMainScript in vite.config.ts')
      const out =
        `import __lrThreadsMainScript from '../wasm-out/tfjs-backend-wasm-threaded-simd.js?url&no-inline';\n` +
        code.replace(statement, 'factoryConfig.mainScriptUrlOrBlob = new URL(__lrThreadsMainScript, self.location.href).href;')
      return { code: out, map: null }
    },
  }
}

/** The 1,000,000-product demo page (issue 10): its HTML, as Vite serves it and as the build writes it (dist/src/demo/shop/). */
const SHOP_PAGE = '/src/demo/shop/index.html'

/**
 * The shop server of the 1,000,000-product page (src/demo/shop/api.ts): `/shop` and the
 * `/shop-api/` endpoints, under `npm run dev` / `npm start` and `vite preview` alike. The API
 * module (and TensorFlow.js, which the feed code imports) is loaded on the first request for
 * it, so builds and servers that never show the shop page never load it.
 */
function shopServer(): Plugin {
  type Handler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void
  let handler: Promise<Handler> | null = null
  const middleware = (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const path = (req.url ?? '/').split('?')[0]!
    if (path !== '/shop' && path !== '/shop/' && !path.startsWith('/shop-api/')) {
      next()
      return
    }
    // Through tsx, as the offline tools run: left to the config bundler, a plain import() would
    // bundle the API's whole import graph into the config of every build mode.
    handler ??= import('tsx/esm/api')
      .then((tsx) => tsx.tsImport('./src/demo/shop/api.ts', import.meta.url) as Promise<typeof import('./src/demo/shop/api')>)
      .then((m) => m.shopMiddleware({ pagePath: SHOP_PAGE }))
    handler.then(
      (h) => h(req, res, next),
      (e: unknown) => {
        handler = null
        res.writeHead(503, { 'content-type': 'text/plain' })
        res.end(`shop API failed to load: ${e instanceof Error ? e.message : String(e)}`)
      },
    )
  }
  return {
    name: 'localrank:shop-server',
    configureServer: (server) => void server.middlewares.use(middleware),
    configurePreviewServer: (server) => void server.middlewares.use(middleware),
  }
}

/**
 * Three builds from one config, picked by `--mode`:
 * - default: the movie demo (index.html, whole-table mode) and the 1,000,000-product shop
 *            (src/demo/shop/index.html, item-data mode) into dist/.
 * - `lib`:   the ESM library (src/index.ts) into dist/lib/localrank.mjs, with lazy chunks
 *            (the engine worker and TensorFlow.js backends) beside it.
 * - `embed`: the tiny classic-script loader (src/embed/loader.ts) into dist/lib/localrank.js.
 * `npm run build` runs all three.
 */
export default defineConfig(({ mode }) => {
  const common = {
    plugins: [wasmThreadsMainScript()],
    worker: {
      format: 'es' as const,
      plugins: () => [wasmThreadsMainScript()],
      rollupOptions: {
        output: {
          // WebGPU's own modules in a chunk of their own. Left to the bundler, the one module of
          // tfjs-backend-cpu that WebGPU shares (dist/shared.js) landed inside WebGPU's chunk, so
          // choosing the CPU backend also fetched all of WebGPU (68 KB gzip) for it. Only the
          // matched modules are captured (not their dependencies: tfjs-core must stay shared).
          codeSplitting: {
            includeDependenciesRecursively: false,
            groups: [
              { name: 'tfjs-backend-webgpu', test: /[\\/]@tensorflow[\\/]tfjs-backend-webgpu[\\/]/ },
              { name: 'tfjs-backend-cpu-shared', test: /[\\/]@tensorflow[\\/]tfjs-backend-cpu[\\/]dist[\\/]shared\.js$/ },
            ],
          },
        },
      },
    },
    test: {
      include: ['src/**/*.test.ts', 'e2e/perf/**/*.test.ts'],
      environment: 'node',
      testTimeout: 30_000,
    },
  }
  if (mode === 'lib') {
    return {
      ...common,
      // Relative asset URLs: the worker and WASM files are found next to the chunk that asks for
      // them (new URL('../assets/…', import.meta.url)), wherever a shop hosts or bundles dist/lib.
      base: './',
      publicDir: false,
      build: {
        outDir: 'dist/lib',
        emptyOutDir: false,
        sourcemap: true,
        // Two entries sharing chunks: the library, and the embed runtime the classic loader imports.
        lib: { entry: { localrank: 'src/index.ts', 'localrank-embed': 'src/embed/index.ts' }, formats: ['es'], fileName: (_format, name) => `${name}.mjs` },
        rollupOptions: { output: { chunkFileNames: 'chunks/[name]-[hash].js' } },
      },
    }
  }
  if (mode === 'embed') {
    return {
      ...common,
      publicDir: false,
      build: {
        outDir: 'dist/lib',
        emptyOutDir: false,
        lib: { entry: 'src/embed/loader.ts', formats: ['iife'], name: 'LocalRankLoader', fileName: () => 'localrank.js' },
      },
    }
  }
  return {
    ...common,
    plugins: [...common.plugins, shopServer()],
    build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, rollupOptions: { input: { index: 'index.html', shop: SHOP_PAGE.slice(1) } } },
  }
})
