#!/bin/bash
# The data process of the demo game server.
while :; do sleep 1; done
