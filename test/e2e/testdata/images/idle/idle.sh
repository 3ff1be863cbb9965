#!/bin/bash
# Exit 0 when players are connected to this server, 1 when it is idle.
test -s "$(dirname "$0")/players/$HOSTNAME"
