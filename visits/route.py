"""A day's route (拜访路线): the order a manager walks their shops in, and how far it is.

Pure functions, no database. The walk is a nearest-neighbour one: from the first shop (the first
of the day's list that has coordinates), always on to the nearest shop not yet visited, distances
by the haversine formula on a sphere of the Earth's mean radius. Shops without coordinates cannot
be placed: they come last, in the order given, and the route says how many there are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, TypeVar

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)

Stop = TypeVar("Stop")
Point = tuple[float, float]  # (latitude, longitude) in degrees


def haversine_km(first: Point, second: Point) -> float:
    """The great-circle distance between two points, in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*first, *second))
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


@dataclass
class Route(Generic[Stop]):
    """The stops in walking order (the placed ones, then those without coordinates), the distance
    from each placed stop to the one before it (None for the first and the unplaced), and the total."""

    stops: list[Stop] = field(default_factory=list)
    legs_km: list[float | None] = field(default_factory=list)
    total_km: Decimal = Decimal("0.0")
    unplaced: int = 0

    def __iter__(self):
        return iter(zip(self.stops, self.legs_km, strict=True))


def nearest_neighbour_route(stops: Sequence[Stop], *, point: Callable[[Stop], Point | None]) -> Route[Stop]:
    """Order `stops` by a nearest-neighbour walk from the first placed one; `point(stop)` gives a
    stop's (latitude, longitude) or None. Ties go to the stop given first. The total is rounded to
    0.1 km. O(n²) in the day's stops (a manager visits a few dozen shops a day at most)."""
    placed = [(stop, point(stop)) for stop in stops]
    remaining = [(stop, where) for stop, where in placed if where is not None]
    unplaced = [stop for stop, where in placed if where is None]
    route: Route[Stop] = Route()
    total = 0.0
    here: Point | None = None
    while remaining:
        if here is None:
            index, leg = 0, None
        else:
            distances = [haversine_km(here, where) for _stop, where in remaining]
            index = min(range(len(distances)), key=distances.__getitem__)  # the first of equals
            leg = distances[index]
            total += leg
        stop, here = remaining.pop(index)
        route.stops.append(stop)
        route.legs_km.append(leg)
    route.stops.extend(unplaced)
    route.legs_km.extend([None] * len(unplaced))
    route.total_km = Decimal(str(round(total, 1)))
    route.unplaced = len(unplaced)
    return route


def retailer_point(retailer) -> Point | None:
    """A shop's coordinates as floats, or None when either is missing."""
    if retailer.latitude is None or retailer.longitude is None:
        return None
    return float(retailer.latitude), float(retailer.longitude)
