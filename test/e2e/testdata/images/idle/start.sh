#!/bin/bash
# Plays the seed's gameserver:idle image. Players "join" a server when the test writes
# players/<pod name>; idle.sh succeeds while a server has players.
exec -a "game-server" sleep infinity
