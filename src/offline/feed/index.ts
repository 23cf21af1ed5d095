/**
 * The item-side / user-side exporter (issue 10): `npm run feed` (cli.ts). userside.ts cuts a
 * whole-table model down to what the browser needs; feed.ts writes one row per product for the
 * shop's server.
 */
export { buildArtifact, artifactBytes, autoTableLimit, largestFitting, sourceItemSpace, FeedError, type Artifact, type BuiltArtifact, type SourceModel } from './userside'
export { csvField, feedRows, sourceItemTable, writeFeed, MAX_NEIGHBOURS, type FeedOptions, type FeedRow, type FeedStats } from './feed'
export { main as feedCli, readSource, writeArtifact, type FeedSummary } from './cli'
