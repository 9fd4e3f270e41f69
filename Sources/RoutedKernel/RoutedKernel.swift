// Effects.
