"""How pass 2 mixes its colour sources (memovid.paint.sources) into one painting per frame.

Bottom to top, at working size:

1. the generator's guess, or where a semantic match replaces it (``--semantic mix|alone``) that match;
2. on shots no keyframe reaches and no match covers, the shot's luminance palette, by its share;
3. the keyframes' moved colour, by the trust curve's share (1 on a keyframe itself).

Where the moved colour's share leaves the guess under ``generator_floor`` on all but
``generator_area`` of the frame's pixels, the guess would be all but thrown away, so the generator does
not paint it (the moved colour stands in on those few pixels); a matched frame needs no guess either. The
shares are fitted per film before painting: the trust curve on the film's own keyframes
(memovid.paint.trust.fit_trust), the palettes and their held-out error on the model's keyframes
(memovid.paint.palette.shot_palettes), the match's gains on left-out look-alike groups
(memovid.paint.semantic).
"""

from __future__ import annotations

import numpy as np

from memovid.paint.sources import Colour, Generator, MovedKeyframes, Palettes, SemanticMatch
from memovid.timing import stage


def layer(beneath: np.ndarray, colour: Colour | None) -> np.ndarray:
    """``colour`` kept over ``beneath`` by its weight: weight * colour + (1 - weight) * beneath."""
    if colour is None:
        return beneath
    w = colour.weight[..., None] if isinstance(colour.weight, np.ndarray) else colour.weight
    return w * colour.ab + (1.0 - w) * beneath


class Mixer:
    """``mixer.mix(batch)`` -> one (ab (h, w, 2), share) per frame: the mixed colour, and the share of
    the keyframes' moved colour in it (None without keyframe guidance), which the full-size end uses
    again for their full-size colour (memovid.paint.finish)."""

    def __init__(self, generator: Generator, keyframes: MovedKeyframes, semantic: SemanticMatch, palettes: Palettes,
                 generator_floor: float, generator_area: float) -> None:
        self.generator, self.keyframes, self.semantic, self.palettes = generator, keyframes, semantic, palettes
        self.generator_floor, self.generator_area = generator_floor, generator_area
        self.generated = 0  # frames the generator painted

    @classmethod
    def fitted(cls, film, analysis) -> "Mixer":
        """The film's sources, with the shares fitted on its own keyframes and the model's."""
        from memovid.paint.palette import shot_palettes
        from memovid.paint.trust import fit_trust

        config = film.config
        generator = Generator(film.model, analysis, config.retrieval)
        with stage("trust/palette fits"):
            curve = fit_trust(film, analysis, generator.scene_features)
            palettes = Palettes(*shot_palettes(film, analysis))
        semantic = SemanticMatch(analysis.semantic, palettes.palettes if config.semantic == "mix" else {}, config.semantic)
        return cls(generator, MovedKeyframes(curve), semantic, palettes, config.generator_floor,
                   config.generator_area)

    def mix(self, batch: list) -> list[tuple[np.ndarray, np.ndarray | None]]:
        self.semantic.attach(batch)
        with stage("trust"):
            moved = self.keyframes.colours(batch)
        ab = self._beneath(batch, moved, self.semantic.colours(batch))
        with stage("palette"):
            painted = ab.copy()
            for i, colour in enumerate(self.palettes.colours(batch, ab)):
                if colour is not None:
                    painted[i] = layer(ab[i], colour)
        out = []
        for frame_ab, colour in zip(painted, moved):
            with stage("trust"):
                out.append((layer(frame_ab, colour), None if colour is None else colour.weight))
        return out

    def _beneath(self, batch: list, moved: list, matched: list) -> np.ndarray:
        """(B, h, w, 2) the bottom layer: the generator's guess, except where the moved colour's share
        leaves it under ``generator_floor`` on all but ``generator_area`` of the pixels (the moved colour
        stands in) or a match replaces it."""
        ab = np.empty((len(batch), *batch[0].L_small.shape, 2), np.float32)
        wanted = []
        for i, (keyed, match) in enumerate(zip(moved, matched)):
            if keyed is not None and self._covered(keyed.weight):
                ab[i] = keyed.ab
            elif match is not None:
                ab[i] = match.ab
            else:
                wanted.append(i)
        if wanted:
            for i, colour in zip(wanted, self.generator.colours([batch[i] for i in wanted])):
                ab[i] = colour.ab
            self.generated += len(wanted)
        return ab

    def _covered(self, weight: np.ndarray) -> bool:
        """Whether the moved colour's share (h, w) leaves the guess under the floor on all but
        ``generator_area`` of the pixels."""
        weak = (1.0 - weight) >= self.generator_floor
        return float(weak.mean()) <= self.generator_area
