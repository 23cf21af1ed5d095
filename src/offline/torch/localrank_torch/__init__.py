"""LocalRank's encoder and trainer on PyTorch, for scale-out training (torchrun / DDP).

A port of src/encoder/{features,tokens,model}.ts and src/offline/train/{batches,loss,trainer}.ts:
the same architecture, hashing, windows, negatives and selection, exporting the same browser
artifact (model.json + weights.bin). The TypeScript files are the definition; the conformance
tests (src/offline/torch/torch.test.ts) hold this port to them.
"""
