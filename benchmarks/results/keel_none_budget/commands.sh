#!/bin/bash
cd /work/main
for d in ecoli1 glass1 pima yeast3 yeast4 vehicle0 page_blocks0 segment0 abalone9_18 winequality_red_4 wisconsin satimage; do
  .venv/bin/python recipes/compare.py --data keel:$d --strategies none --seeds 3 --out /tmp/keel_none/default/$d > /tmp/keel_none/default_$d.log 2>&1
  .venv/bin/python recipes/compare.py --data keel:$d --strategies none --seeds 3 --data.batch_size 64 --max-epochs 40 --out /tmp/keel_none/ref/$d > /tmp/keel_none/ref_$d.log 2>&1
done
echo DONE > /tmp/keel_none/DONE
