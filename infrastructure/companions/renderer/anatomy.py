"""Where a buddy's parts are at each stage: the body grows, and items hang on these anchors.

All drawings use a 512 x 512 canvas with the ground at ``GROUND``. Customer stage art is
drawn over the same canvas, so items find the same anchors on it.
"""

from __future__ import annotations

from dataclasses import dataclass

CANVAS = 512
CENTER = 256
GROUND = 452

# stage → (half width, half height, foot height, wing span, horn length, tail length)
_GROWTH: dict[int, tuple[int, int, int, int, int, int]] = {
    1: (72, 64, 0, 0, 0, 0),
    2: (84, 78, 14, 40, 0, 0),
    3: (96, 92, 18, 66, 44, 64),
    4: (108, 106, 20, 94, 62, 80),
    5: (120, 118, 22, 120, 78, 96),
}


@dataclass(frozen=True)
class Point:
    x: float
    y: float


@dataclass(frozen=True)
class Anatomy:
    stage: int
    rx: float  # body half width
    ry: float  # body half height
    cx: float
    cy: float
    foot_height: float
    wing_span: float
    horn_length: float
    tail_length: float

    @property
    def top(self) -> float:
        return self.cy - self.ry

    @property
    def bottom(self) -> float:
        return self.cy + self.ry

    @property
    def eye_y(self) -> float:
        return self.cy - self.ry * 0.2

    @property
    def eye_dx(self) -> float:
        return self.rx * 0.38

    @property
    def eye_r(self) -> float:
        return self.rx * (0.24, 0.21, 0.18, 0.16, 0.15)[self.stage - 1]

    @property
    def mouth_y(self) -> float:
        return self.eye_y + self.eye_r + self.ry * 0.1

    @property
    def neck_y(self) -> float:
        return self.mouth_y + self.ry * 0.16

    def hand(self, side: int) -> Point:
        """``side`` is ``-1`` (the buddy's right, our left) or ``1``."""
        return Point(self.cx + side * self.rx * 0.98, self.cy + self.ry * 0.3)

    def foot(self, side: int) -> Point:
        return Point(self.cx + side * self.rx * 0.42, GROUND - self.foot_height * 0.5)

    def shoulder(self, side: int) -> Point:
        return Point(self.cx + side * self.rx * 0.55, self.cy - self.ry * 0.15)

    def horn_root(self, side: int) -> Point:
        return Point(self.cx + side * self.rx * 0.5, self.cy - self.ry * 0.76)

    @property
    def head_top(self) -> Point:
        """Where a hat sits: above the horns' roots, on the crown of the head."""
        return Point(self.cx, self.top + self.ry * 0.06)

    @property
    def scale(self) -> float:
        """Size relative to an adult (stage 4): items scale with the body."""
        return self.rx / _GROWTH[4][0]


def anatomy_for(stage: int) -> Anatomy:
    rx, ry, foot, wings, horns, tail = _GROWTH[stage]
    cy = GROUND - foot - ry * 0.94 if foot else GROUND - ry * 0.9
    return Anatomy(
        stage=stage,
        rx=rx,
        ry=ry,
        cx=CENTER,
        cy=cy,
        foot_height=foot,
        wing_span=wings,
        horn_length=horns,
        tail_length=tail,
    )
