#!/bin/bash
# Healthy while the worker process runs.
pgrep -f healthy-worker >/dev/null
