from reference import layers as ref
