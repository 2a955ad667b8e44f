"""The day's route: a nearest-neighbour walk, haversine distances, shops without coordinates last."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from visits.route import haversine_km, nearest_neighbour_route, retailer_point


def shop(name, lat=None, lon=None):
    return SimpleNamespace(
        name=name, latitude=None if lat is None else Decimal(lat), longitude=None if lon is None else Decimal(lon)
    )


def test_haversine_between_known_points():
    # Two points of Nanjing 8.2 km apart as the crow flies; a degree of latitude is 111.2 km anywhere.
    assert haversine_km((32.0416, 118.7784), (31.9700, 118.7975)) == pytest.approx(8.15, abs=0.05)
    assert haversine_km((32.0, 118.0), (33.0, 118.0)) == pytest.approx(111.19, abs=0.01)
    assert haversine_km((32.0, 118.0), (32.0, 118.0)) == 0


def test_the_walk_goes_to_the_nearest_shop_not_yet_visited_and_sums_the_legs():
    # On one meridian, 0.01° of latitude = 1.112 km. Given in a muddled order, from A at 0:
    a, b, c, d = (
        shop("A", "32.00", "118"),
        shop("B", "32.03", "118"),
        shop("C", "32.01", "118"),
        shop("D", "31.98", "118"),
    )
    route = nearest_neighbour_route([a, b, c, d], point=retailer_point)
    # A(32.00) → C(32.01) 1.1 km → D(31.98)? from C, D is 3.3 km and B 2.2 km: B; then D 5.6 km.
    assert [stop.name for stop in route.stops] == ["A", "C", "B", "D"]
    assert [round(leg, 2) if leg is not None else None for leg in route.legs_km] == [None, 1.11, 2.22, 5.56]
    assert route.total_km == Decimal("8.9")
    assert route.unplaced == 0


def test_shops_without_coordinates_come_last_in_their_order_and_are_counted():
    first_unplaced, second_unplaced = shop("X"), shop("Y", "32.0")  # half a location is none
    a, b = shop("A", "32.00", "118"), shop("B", "32.01", "118")
    route = nearest_neighbour_route([first_unplaced, a, second_unplaced, b], point=retailer_point)
    assert [stop.name for stop in route.stops] == ["A", "B", "X", "Y"]
    assert route.legs_km[2:] == [None, None]
    assert route.unplaced == 2 and route.total_km == Decimal("1.1")
    assert [(s.name, leg is None) for s, leg in route] == [("A", True), ("B", False), ("X", True), ("Y", True)]


def test_ties_go_to_the_shop_given_first_and_an_empty_day_is_zero():
    a, east, west = shop("A", "0", "0"), shop("E", "0", "1"), shop("W", "0", "-1")  # exactly as far
    assert [s.name for s in nearest_neighbour_route([a, west, east], point=retailer_point).stops] == ["A", "W", "E"]
    empty = nearest_neighbour_route([], point=retailer_point)
    assert (empty.stops, empty.total_km, empty.unplaced) == ([], Decimal("0.0"), 0)
