#!/bin/bash
# Plays the seed's gameserver:healthy image: a worker process that healthy.sh checks.
bash -c 'exec -a healthy-worker sleep infinity' &
exec -a "game-server" sleep infinity
