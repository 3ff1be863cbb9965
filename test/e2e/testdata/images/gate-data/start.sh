#!/bin/bash
# Plays the seed's minecraft-demo:probe-v0 image: a "rich container" whose start script runs a
# gate process, a data process and the game server itself.
cd "$(dirname "$0")" || exit 1
bash ./gate.sh &
bash ./data.sh &
exec -a "java -jar /minecraft_server.jar" sleep infinity
