"""Concentrated opinions (较为集中意见): automatic groups of opinions saying the same thing.

- :mod:`.normalise`: the text as compared (NFKC, width, punctuation, spaces, case), the
  exact-match key and the key of "one person";
- :mod:`.minhash`: character shingles, MinHash signatures and LSH bands, vectorised with
  numpy over many texts at once (measured against rensa and datasketch in
  ``bench/grouping.py``);
- :mod:`.engine`: grouping a whole consultation in memory (exact keys, LSH candidates,
  confirmation with rapidfuzz, connected components);
- :mod:`.models`, :mod:`.operations`: what is stored per opinion and the operations
  (incremental grouping, full regrouping, officials' merge, split, name, disposition).
"""
