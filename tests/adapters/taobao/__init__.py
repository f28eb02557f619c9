"""Tests of the Taobao (TOP) adapter and its sandbox."""
