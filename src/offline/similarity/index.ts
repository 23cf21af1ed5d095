/**
 * Offline item-to-item similarity, computed from TRAINING interactions only (events before
 * each user's validation event), and shipped to the browser in src/interest's format.
 */
export { trainingData, type TrainingData } from './training'
export { buildNeighbours, asSimilarityTable, pairCount, DEFAULT_NEIGHBOUR_OPTIONS, type NeighbourLists, type NeighbourOptions } from './neighbours'
export { Cooccurrence } from './cooccurrence'
export { buildSimilarityArtifact, DEFAULT_ARTIFACT_OPTIONS, type ArtifactOptions, type SimilarityArtifact } from './artifact'
