#!/bin/bash
# The issue's Done-when as written: the default compare.py on each KEEL dataset, no hand configs.
cd "$(dirname "$0")/../../../.." && mkdir -p "${OUT:-/tmp/keel_cmp}"
for d in ecoli1 glass1 pima yeast3 yeast4 vehicle0 page_blocks0 segment0 abalone9_18 winequality_red_4 wisconsin satimage; do
  python recipes/compare.py --data keel:$d --out ${OUT:-/tmp/keel_cmp}/$d > ${OUT:-/tmp/keel_cmp}/$d.log 2>&1
done
echo DONE > ${OUT:-/tmp/keel_cmp}/DONE
