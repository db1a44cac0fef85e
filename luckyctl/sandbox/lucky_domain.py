"""The Lucky Gas API stand-in's business logic: seed records, route optimisation, demand forecast.

Pure functions, deterministic: the same input always gives the same answer,
so roadmap checks can assert on it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass

DEPOT = (25.0478, 121.5319)  # Taipei Main Station area
AVERAGE_SPEED_KMH = 25.0  # urban delivery traffic
SERVICE_MINUTES_PER_STOP = 5.0
EARTH_RADIUS_KM = 6371.0088
# Monday .. Sunday: restaurants order more towards the weekend, fewer on Sunday.
WEEKDAY_FACTOR = (1.0, 0.95, 1.0, 1.05, 1.15, 1.1, 0.75)

SEED_CUSTOMERS = (
    # id, name, district, lat, lng, cylinder type, average cylinders per day
    (1, "Lucky Noodle House", "Zhongzheng", 25.0421, 121.5198, "50kg", 1.2),
    (2, "Da'an Hot Pot", "Da'an", 25.0330, 121.5436, "50kg", 2.0),
    (3, "Xinyi Night Market Stall 7", "Xinyi", 25.0330, 121.5654, "20kg", 0.8),
    (4, "Songshan Family Kitchen", "Songshan", 25.0500, 121.5775, "16kg", 0.3),
    (5, "Wanhua Tea House", "Wanhua", 25.0353, 121.4997, "20kg", 0.5),
    (6, "Neihu Office Canteen", "Neihu", 25.0797, 121.5866, "50kg", 1.5),
    (7, "Shilin Dumpling Bar", "Shilin", 25.0930, 121.5246, "20kg", 0.9),
    (8, "Beitou Hot Spring Hotel", "Beitou", 25.1368, 121.5065, "50kg", 2.4),
)

SEED_ORDERS = (
    # id, customer id, quantity, cylinder type, status, scheduled date offset (days from today)
    (1, 1, 2, "50kg", "delivered", -2),
    (2, 2, 3, "50kg", "delivered", -2),
    (3, 3, 1, "20kg", "delivered", -1),
    (4, 8, 4, "50kg", "delivered", -1),
    (5, 6, 2, "50kg", "assigned", 0),
    (6, 5, 1, "20kg", "assigned", 0),
    (7, 7, 2, "20kg", "pending", 0),
    (8, 4, 1, "16kg", "pending", 1),
    (9, 2, 3, "50kg", "pending", 1),
    (10, 1, 2, "50kg", "pending", 2),
)


@dataclass(frozen=True)
class Stop:
    id: str
    lat: float
    lng: float


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def _tour_length(order: list[int], points: list[tuple[float, float]], closed: bool) -> float:
    path = [0, *order, 0] if closed else [0, *order]
    return sum(haversine_km(points[a], points[b]) for a, b in itertools.pairwise(path))


def optimize_route(depot: tuple[float, float], stops: list[Stop], return_to_depot: bool) -> dict[str, object]:
    """Nearest neighbour from the depot, then 2-opt until no swap shortens the tour."""
    points = [depot, *((s.lat, s.lng) for s in stops)]
    remaining = list(range(1, len(points)))
    order: list[int] = []
    current = 0
    while remaining:
        # ties broken by input position, so equal inputs give equal routes
        nearest = min(remaining, key=lambda i: (haversine_km(points[current], points[i]), i))
        order.append(nearest)
        remaining.remove(nearest)
        current = nearest
    improved = True
    while improved:
        improved = False
        for i in range(len(order) - 1):
            for j in range(i + 1, len(order)):
                candidate = order[:i] + order[i : j + 1][::-1] + order[j + 1 :]
                shorter = _tour_length(candidate, points, return_to_depot) + 1e-9
                if shorter < _tour_length(order, points, return_to_depot):
                    order, improved = candidate, True
    path = [0, *order, 0] if return_to_depot else [0, *order]
    legs = [haversine_km(points[a], points[b]) for a, b in itertools.pairwise(path)]
    distance = sum(legs)
    duration = distance / AVERAGE_SPEED_KMH * 60 + SERVICE_MINUTES_PER_STOP * len(stops)
    elapsed = 0.0
    ordered = []
    for position, (index, leg) in enumerate(zip(order, legs, strict=False), start=1):
        elapsed += leg / AVERAGE_SPEED_KMH * 60
        stop = stops[index - 1]
        ordered.append(
            {"sequence": position, "id": stop.id, "lat": stop.lat, "lng": stop.lng,
             "leg_distance_km": round(leg, 3), "arrival_offset_min": round(elapsed, 1)}
        )
        elapsed += SERVICE_MINUTES_PER_STOP
    return {
        "route": [stop["id"] for stop in ordered],
        "stops": ordered,
        "total_distance_km": round(distance, 3),
        "total_duration_min": round(duration, 1),
        "return_to_depot": return_to_depot,
        "optimizer": "sandbox-nearest-neighbour-2opt",
    }


def forecast_demand(
    daily_cylinders: float, start: dt.date, days: int
) -> list[dict[str, object]]:
    """Seasonal-naive forecast: base demand × weekday factor × season factor (peak in January)."""
    predictions = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        season = 1 + 0.25 * math.cos(2 * math.pi * (day.month - 1) / 12)
        value = daily_cylinders * WEEKDAY_FACTOR[day.weekday()] * season
        predictions.append(
            {
                "date": day.isoformat(),
                "predicted_cylinders": round(value, 2),
                "lower_bound": round(value * 0.85, 2),
                "upper_bound": round(value * 1.15, 2),
            }
        )
    return predictions
