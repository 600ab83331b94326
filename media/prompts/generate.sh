#!/bin/sh
# Regenerates the prompts (needs espeak-ng and sox). Run from this directory.
set -e
gen() { espeak-ng -v en-us -s 150 -w /tmp/$1.raw.wav "$2" && sox /tmp/$1.raw.wav -r 8000 -c 1 -b 16 $1.wav; }
gen extension "Please enter the extension of the person you are calling, followed by the pound key."
gen invalid "Sorry, that extension is not valid."
gen unavailable "The person you are calling is not available. Please try again later. Goodbye."
gen goodbye "Sorry, we could not connect your call. Goodbye."
gen voicemail "The person you are calling is not available. Please leave a message after the tone, and press the pound key when you are done."
gen choice "Sorry, that choice is not valid."
