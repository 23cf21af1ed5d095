/**
 * Type tests for the public API (src/index.ts, src/embed/index.ts). `expectTypeOf` does
 * nothing at run time: these are checked by `npm run typecheck` (tsc over src/, tests
 * included), which `npm test` runs first. A wrong public type fails the typecheck here, and
 * each `@ts-expect-error` fails it if the misuse it marks stops being an error.
 */
import { describe, expectTypeOf, it } from 'vitest'
import {
  BackendError,
  createEngine,
  type LocalRankError,
  ModelError,
  StorageError,
  ValidationError,
  type BackendName,
  type Candidate,
  type Consent,
  type Engine,
  type EngineInfo,
  type EngineOptions,
  type EventType,
  type LoadProgress,
  type RankPath,
  type RankResult,
  type StoredEvent,
  type TrackInput,
} from './index'
// Types only: the embed module defines custom elements, which need a DOM to evaluate.
import type * as Embed from './embed/index'
type PageApi = Embed.PageApi

describe('public types', () => {
  it('createEngine takes optional options and resolves to an Engine', () => {
    expectTypeOf(createEngine).parameter(0).toEqualTypeOf<EngineOptions | undefined>()
    expectTypeOf(createEngine).returns.resolves.toEqualTypeOf<Engine>()
  })

  it('event types are the GA4 names, and a typo is a compile error', () => {
    expectTypeOf<EventType>().toEqualTypeOf<'view_item' | 'select_item' | 'add_to_cart' | 'remove_from_cart' | 'add_to_wishlist' | 'begin_checkout' | 'purchase' | 'search' | 'view_item_list'>()
    expectTypeOf<{ type: 'add_to_cart'; items: [{ id: 'a' }] }>().toMatchTypeOf<TrackInput>()
    // @ts-expect-error 'add_to_basket' is not an EventType
    const bad: TrackInput = { type: 'add_to_basket', items: [{ id: 'a' }] }
    void bad
    expectTypeOf<Engine['track']>().returns.resolves.toEqualTypeOf<StoredEvent | null>()
  })

  it('rerank keeps the caller’s candidate type through to the result', () => {
    interface Product extends Candidate {
      sku: string
      image: string
    }
    type Rerank = (c: ReadonlyArray<Product>) => Promise<RankResult<Product>>
    expectTypeOf<Engine['rerank']>().toMatchTypeOf<Rerank>()
    expectTypeOf<RankResult<Product>['items'][number]['candidate']>().toEqualTypeOf<Product>()
    expectTypeOf<RankResult['path']>().toEqualTypeOf<RankPath>()
    expectTypeOf<RankPath>().toEqualTypeOf<'encoder' | 'profile' | 'server'>()
  })

  it('info, backend and consent are closed unions', () => {
    expectTypeOf<EngineInfo['backend']>().toEqualTypeOf<BackendName | null>()
    expectTypeOf<BackendName>().toEqualTypeOf<'webgpu' | 'wasm' | 'cpu'>()
    expectTypeOf<Consent>().toEqualTypeOf<'granted' | 'denied' | 'pending'>()
    expectTypeOf<EngineInfo['storage']>().toEqualTypeOf<'indexeddb' | 'memory'>()
    expectTypeOf<EngineInfo['variant']>().toEqualTypeOf<'personalised' | 'control' | null | undefined>()
    expectTypeOf<ReturnType<Embed.HoldoutEngine['info']>['variant']>().toEqualTypeOf<Embed.Variant | null>()
    expectTypeOf<Embed.Variant>().toEqualTypeOf<'personalised' | 'control'>()
    // @ts-expect-error 'gpu' is not a backend
    const opts: EngineOptions = { backend: 'gpu' }
    void opts
  })

  it('load progress is a union keyed on status', () => {
    expectTypeOf<LoadProgress['status']>().toEqualTypeOf<'initiate' | 'download' | 'progress' | 'done' | 'ready' | 'error'>()
    expectTypeOf<Extract<LoadProgress, { status: 'progress' }>>().toHaveProperty('loaded').toEqualTypeOf<number>()
    expectTypeOf<Extract<LoadProgress, { status: 'error' }>>().toHaveProperty('error').toEqualTypeOf<LocalRankError>()
  })

  it('every error class is a LocalRankError with a code and context', () => {
    for (const E of [ValidationError, StorageError, BackendError, ModelError]) expectTypeOf<InstanceType<typeof E>>().toMatchTypeOf<LocalRankError>()
    expectTypeOf<ValidationError>().toHaveProperty('field').toEqualTypeOf<string>()
    expectTypeOf<ValidationError>().toHaveProperty('reason').toEqualTypeOf<string>()
    expectTypeOf<LocalRankError['code']>().toMatchTypeOf<string>()
  })

  it('localrank/embed accepts an engine or a promise of one, and its page API is the engine plus queue commands', () => {
    expectTypeOf<typeof Embed.defineLocalRankElements>().parameter(0).toEqualTypeOf<{ engine: Engine | Promise<Engine> }>()
    expectTypeOf<typeof Embed.startDomTracking>().returns.toEqualTypeOf<() => void>()
    expectTypeOf<PageApi['rerank']>().toEqualTypeOf<Engine['rerank']>()
  })
})
