#!/bin/bash
# The gate process of the demo game server.
while :; do sleep 1; done
