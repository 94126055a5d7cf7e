"""Side-by-side benchmarks of gdxarray against genomedata 1.7.4 and pyBigWig (see run.py)."""
