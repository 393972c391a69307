"""The yearly catalogue of major decisions and each decision's stages."""
