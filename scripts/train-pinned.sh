#!/bin/sh
# train-pinned.sh regenerates every pinned artifact under models/ from the raw profiles:
# ../shared/data (Vidur's and Frontier's published profiles) and datasets/h200-measured/raw
# (committed). Each raw set is ingested into a scratch dataset (derived data, not
# committed: the artifact manifests record the dataset ids, and the datasets' manifests
# the SHA-256 of every raw file), then trained with the settings below. The same inputs
# give the same artifact ids (train.TestPinnedArtifactRetrains checks one).
#
#   scripts/train-pinned.sh                 # all artifacts into models/
#   DATA=/path/to/shared/data OUT=/tmp/m scripts/train-pinned.sh
#
# Settings shared by every artifact: Vidur's grid, interleaved 10-fold CV, seed 42, and a
# prefill grid with every chunk to 256 then every 16th (docs/train.md, "Prediction grids").
set -eu

DATA=${DATA:-../shared/data}
OUT=${OUT:-models}
H200=${H200:-datasets/h200-measured/raw}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

go build -o "$WORK/llmsim" ./cmd/llmsim
llmsim() { "$WORK/llmsim" "$@"; }

ingest() { # ingest NAME INPUT... [ingest flags before the inputs]
	name=$1
	shift
	llmsim profile ingest --out "$WORK/$name" "$@" >/dev/null
}

train() { # train GPU MODEL TPS DATASET... : one artifact per TP degree
	gpu=$1 model=$2 tps=$3
	shift 3
	set -- $(for d in "$@"; do printf -- '--dataset %s ' "$WORK/$d"; done)
	echo "== $gpu $model tp $tps"
	llmsim train "$@" --gpu "$gpu" --model "$model" --tp "$tps" \
		--grid vidur --cv interleaved --folds 10 --seed 42 --chunk-step 16 --out "$OUT"
}

# Collectives, one dataset per network: bundled into the artifacts of that network's GPU,
# and each trained alone into a collectives-only artifact, <gpu>/network-<node>/<id>/.
# Vidur measured the A100 and H100 nodes, Frontier the A800 ones.
nets="a100_dgx a100_pairwise_nvlink h100_dgx h100_pairwise_nvlink a800_dgx a800_pairwise_nvlink"
for net in $nets; do
	case $net in
	a800*) src=$DATA/frontier/profiling/network/$net ;;
	*) src=$DATA/vidur/profiling/network/$net ;;
	esac
	ingest "net-$net" --network "$net" "$src"
	echo "== network $net"
	llmsim train --collectives-only --network "$net" --dataset "$WORK/net-$net" \
		--grid vidur --cv interleaved --folds 10 --seed 42 --out "$OUT"
done

# a100: Vidur's mlp.csv with the attention sample (Llama-2-7b has TP 1, 2, 4, 8;
# Llama-3-8B's sample TP 1 and 4).
vc=$DATA/vidur/profiling/compute/a100/meta-llama
va=$DATA/vidur_attention_sample/a100/meta-llama
ingest a100-llama2-7b "$vc/Llama-2-7b-hf/mlp.csv" "$va/Llama-2-7b-hf/attention.csv"
ingest a100-llama3-8b "$vc/Meta-Llama-3-8B/mlp.csv" "$va/Meta-Llama-3-8B/attention.csv"
train a100 meta-llama/Llama-2-7b-hf 1,2,4,8 a100-llama2-7b net-a100_dgx
train a100 meta-llama/Meta-Llama-3-8B 1,4 a100-llama3-8b net-a100_dgx

# a800: Frontier's complete attention.csv and mlp.csv (TP 1).
fc=$DATA/frontier/profiling/compute/a800
ingest a800-llama2-7b --gpu a800 --model meta-llama/Llama-2-7b-hf "$fc/meta-llama/Llama-2-7b-hf"
train a800 meta-llama/Llama-2-7b-hf 1 a800-llama2-7b net-a800_dgx

# a800 Qwen3-30B-A3B: Frontier's MoE profile (attention, linear_op, moe; TP 1 with EP 1,
# 2, 4). Its linear_op.csv has no `add` column: the roofline of profile synth fills that
# operator alone (measured rows win operator by operator) and the manifest marks it
# synthetic.
ingest a800-qwen3-30b --gpu a800 --model Qwen/Qwen3-30B-A3B "$fc/qwen3-a3b-30b-moe"
llmsim profile synth --gpu a800 --model Qwen/Qwen3-30B-A3B --tp 1 --ep 4 --out "$WORK/synth-a800-qwen3-30b" >/dev/null
train a800 Qwen/Qwen3-30B-A3B 1 a800-qwen3-30b synth-a800-qwen3-30b net-a800_dgx

# h200: kernels measured on one H200 (datasets/h200-measured), TP 1, 2, 4, 8.
ingest h200 "$H200"
train h200 meta-llama/Llama-2-7b-hf 1,2,4,8 h200
train h200 meta-llama/Meta-Llama-3-8B 1,2,4,8 h200
train h200 Qwen/Qwen3-8B 1,2,4,8 h200
