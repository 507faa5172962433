"""Small name/address pools for synthetic people (no real PII)."""

from __future__ import annotations

FIRST_NAMES = (
    "James", "Mary", "Robert", "Linda", "Michael", "Patricia", "William", "Barbara", "David",
    "Susan", "Richard", "Karen", "Joseph", "Nancy", "Thomas", "Lisa", "Charles", "Betty",
    "Daniel", "Sandra", "Matthew", "Ashley", "Anthony", "Donna", "Mark", "Carol", "Steven",
    "Michelle", "Paul", "Emily", "Andrew", "Amanda", "Kevin", "Melissa", "Brian", "Laura",
    "Gary", "Rebecca", "Tim", "Sharon", "Ray", "Cindy", "Luis", "Maria", "Wei", "Priya",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker",
    "Hall", "Allen", "Young", "King", "Wright", "Scott", "Green", "Baker", "Nelson", "Carter",
    "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans", "Edwards",
)  # fmt: skip
SHOP_WORDS = ("Custom", "Speed", "Garage", "Kustoms", "Rod Shop", "Motorsports", "Restorations")
CITIES = {
    "CA": ("Fresno", "Bakersfield", "Riverside", "Sacramento"),
    "TX": ("Austin", "Lubbock", "Waco", "El Paso"),
    "FL": ("Tampa", "Ocala", "Daytona Beach"),
    "AZ": ("Mesa", "Tucson", "Flagstaff"),
    "OH": ("Akron", "Dayton", "Toledo"),
    "MI": ("Flint", "Lansing", "Saginaw"),
    "NC": ("Charlotte", "Mooresville", "Concord"),
    "GA": ("Macon", "Savannah"),
    "PA": ("York", "Carlisle", "Erie"),
    "WA": ("Spokane", "Yakima"),
    "TN": ("Knoxville", "Bristol"),
    "IN": ("Muncie", "Kokomo"),
    "OR": ("Eugene", "Medford"),
    "NV": ("Reno", "Henderson"),
    "ON": ("Hamilton", "Oshawa", "London", "Barrie", "Windsor"),
    "QC": ("Laval", "Sherbrooke"),
    "BC": ("Kelowna", "Abbotsford"),
    "AB": ("Red Deer", "Lethbridge"),
    "MB": ("Brandon",),
    "NS": ("Truro",),
    "SK": ("Regina",),
}
