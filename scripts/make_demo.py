#!/usr/bin/env python3
"""Generate the bundled demo CRM: core/demo/companies.csv, contacts.csv, reference.csv and README.md.

A HubSpot-style export (HubSpot column labels, internal enumeration values) of about
3,000 companies and 12,000 contacts, with a handful of deliberately messy rows that
exercise the engine's parsing, quarantine and normalisation paths. README.md lists
every messy row with its Record ID.

reference.csv is a vendor export for most of the same companies (People Data Labs' free
company dataset layout plus employee_count), for the ``reference`` provider: it holds the
companies' true facts, so the demo's ``enrich sync`` fills the CRM's blanks from it. It is
drawn from its own generator (seed + 1), so the CRM files do not depend on it.

Deterministic: a fixed seed, the standard library only (``random``, ``csv``), no
network. Re-running it reproduces byte-identical files::

    python scripts/make_demo.py            # writes core/demo/
    python scripts/make_demo.py --out DIR  # writes elsewhere (e.g. to compare)

Do not edit the generated files by hand: change this script and re-run it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import math
import random
import unicodedata
from pathlib import Path

SEED = 20261003
N_COMPANIES = 3000
N_CONTACTS = 12000

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "core" / "demo"

COMPANY_HEADER = [
    "Record ID", "Company name", "Company Domain Name", "Website URL", "Industry",
    "Number of Employees", "Annual Revenue", "Country/Region", "State/Region", "City",
    "Year Founded", "Total Money Raised", "Funding Stage", "Web Technologies",
    "Lifecycle Stage", "Last Modified Date",
]
CONTACT_HEADER = [
    "Record ID", "Email", "First Name", "Last Name", "Job Title", "Company ID",
    "Company Name", "Phone Number", "Country/Region", "Lifecycle Stage", "Last Modified Date",
]

# Last Modified Date window (UTC).
T_START = dt.datetime(2025, 1, 1)
T_END = dt.datetime(2026, 10, 31, 23, 59, 59)

# ---------------------------------------------------------------------------
# Industries: HubSpot internal values (all 147), with a realistic skew.
# ---------------------------------------------------------------------------
HUBSPOT_INDUSTRIES = """
ACCOUNTING AIRLINES_AVIATION ALTERNATIVE_DISPUTE_RESOLUTION ALTERNATIVE_MEDICINE ANIMATION
APPAREL_FASHION ARCHITECTURE_PLANNING ARTS_AND_CRAFTS AUTOMOTIVE AVIATION_AEROSPACE BANKING
BIOTECHNOLOGY BROADCAST_MEDIA BUILDING_MATERIALS BUSINESS_SUPPLIES_AND_EQUIPMENT CAPITAL_MARKETS
CHEMICALS CIVIC_SOCIAL_ORGANIZATION CIVIL_ENGINEERING COMMERCIAL_REAL_ESTATE
COMPUTER_NETWORK_SECURITY COMPUTER_GAMES COMPUTER_HARDWARE COMPUTER_NETWORKING COMPUTER_SOFTWARE
CONSTRUCTION CONSUMER_ELECTRONICS CONSUMER_GOODS CONSUMER_SERVICES COSMETICS DAIRY DEFENSE_SPACE
DESIGN E_LEARNING EDUCATION_MANAGEMENT ELECTRICAL_ELECTRONIC_MANUFACTURING ENTERTAINMENT
ENVIRONMENTAL_SERVICES EVENTS_SERVICES EXECUTIVE_OFFICE FACILITIES_SERVICES FARMING
FINANCIAL_SERVICES FINE_ART FISHERY FOOD_BEVERAGES FOOD_PRODUCTION FUND_RAISING FURNITURE
GAMBLING_CASINOS GLASS_CERAMICS_CONCRETE GOVERNMENT_ADMINISTRATION GOVERNMENT_RELATIONS
GRAPHIC_DESIGN HEALTH_WELLNESS_AND_FITNESS HIGHER_EDUCATION HOSPITAL_HEALTH_CARE HOSPITALITY
HUMAN_RESOURCES IMPORT_AND_EXPORT INDIVIDUAL_FAMILY_SERVICES INDUSTRIAL_AUTOMATION
INFORMATION_SERVICES INFORMATION_TECHNOLOGY_AND_SERVICES INSURANCE INTERNATIONAL_AFFAIRS
INTERNATIONAL_TRADE_AND_DEVELOPMENT INTERNET INVESTMENT_BANKING INVESTMENT_MANAGEMENT JUDICIARY
LAW_ENFORCEMENT LAW_PRACTICE LEGAL_SERVICES LEGISLATIVE_OFFICE LEISURE_TRAVEL_TOURISM LIBRARIES
LOGISTICS_AND_SUPPLY_CHAIN LUXURY_GOODS_JEWELRY MACHINERY MANAGEMENT_CONSULTING MARITIME
MARKET_RESEARCH MARKETING_AND_ADVERTISING MECHANICAL_OR_INDUSTRIAL_ENGINEERING MEDIA_PRODUCTION
MEDICAL_DEVICES MEDICAL_PRACTICE MENTAL_HEALTH_CARE MILITARY MINING_METALS
MOTION_PICTURES_AND_FILM MUSEUMS_AND_INSTITUTIONS MUSIC NANOTECHNOLOGY NEWSPAPERS
NON_PROFIT_ORGANIZATION_MANAGEMENT OIL_ENERGY ONLINE_MEDIA OUTSOURCING_OFFSHORING
PACKAGE_FREIGHT_DELIVERY PACKAGING_AND_CONTAINERS PAPER_FOREST_PRODUCTS PERFORMING_ARTS
PHARMACEUTICALS PHILANTHROPY PHOTOGRAPHY PLASTICS POLITICAL_ORGANIZATION
PRIMARY_SECONDARY_EDUCATION PRINTING PROFESSIONAL_TRAINING_COACHING PROGRAM_DEVELOPMENT
PUBLIC_POLICY PUBLIC_RELATIONS_AND_COMMUNICATIONS PUBLIC_SAFETY PUBLISHING RAILROAD_MANUFACTURE
RANCHING REAL_ESTATE RECREATIONAL_FACILITIES_AND_SERVICES RELIGIOUS_INSTITUTIONS
RENEWABLES_ENVIRONMENT RESEARCH RESTAURANTS RETAIL SECURITY_AND_INVESTIGATIONS SEMICONDUCTORS
SHIPBUILDING SPORTING_GOODS SPORTS STAFFING_AND_RECRUITING SUPERMARKETS TELECOMMUNICATIONS
TEXTILES THINK_TANKS TOBACCO TRANSLATION_AND_LOCALIZATION TRANSPORTATION_TRUCKING_RAILROAD
UTILITIES VENTURE_CAPITAL_PRIVATE_EQUITY VETERINARY WAREHOUSING WHOLESALE WINE_AND_SPIRITS
WIRELESS WRITING_AND_EDITING
""".split()
assert len(HUBSPOT_INDUSTRIES) == 147

INDUSTRY_WEIGHT = {
    "COMPUTER_SOFTWARE": 17.0, "INFORMATION_TECHNOLOGY_AND_SERVICES": 12.0, "INTERNET": 9.0,
    "FINANCIAL_SERVICES": 8.0, "MARKETING_AND_ADVERTISING": 8.0, "HOSPITAL_HEALTH_CARE": 4.5,
    "RETAIL": 4.0, "MANAGEMENT_CONSULTING": 3.5, "REAL_ESTATE": 2.5, "CONSTRUCTION": 2.5,
    "STAFFING_AND_RECRUITING": 2.2, "HIGHER_EDUCATION": 2.0, "TELECOMMUNICATIONS": 1.8,
    "BANKING": 1.8, "INSURANCE": 1.8, "LOGISTICS_AND_SUPPLY_CHAIN": 1.8, "E_LEARNING": 1.5,
    "COMPUTER_NETWORK_SECURITY": 1.5, "AUTOMOTIVE": 1.3, "EDUCATION_MANAGEMENT": 1.2,
    "MEDICAL_DEVICES": 1.2, "PHARMACEUTICALS": 1.1, "BIOTECHNOLOGY": 1.1, "ACCOUNTING": 1.1,
    "LAW_PRACTICE": 1.1, "CONSUMER_GOODS": 1.1, "FOOD_BEVERAGES": 1.1, "HOSPITALITY": 1.0,
    "MECHANICAL_OR_INDUSTRIAL_ENGINEERING": 1.0, "ELECTRICAL_ELECTRONIC_MANUFACTURING": 0.9,
    "ONLINE_MEDIA": 0.9, "COMPUTER_HARDWARE": 0.7, "ENTERTAINMENT": 0.7, "MACHINERY": 0.7,
    "NON_PROFIT_ORGANIZATION_MANAGEMENT": 0.7, "HUMAN_RESOURCES": 0.7, "INVESTMENT_MANAGEMENT": 0.7,
    "VENTURE_CAPITAL_PRIVATE_EQUITY": 0.6, "OIL_ENERGY": 0.6, "RENEWABLES_ENVIRONMENT": 0.6,
    "TRANSPORTATION_TRUCKING_RAILROAD": 0.6, "APPAREL_FASHION": 0.6, "CONSUMER_SERVICES": 0.6,
    "RESTAURANTS": 0.6, "PUBLIC_RELATIONS_AND_COMMUNICATIONS": 0.5, "INFORMATION_SERVICES": 0.5,
    "COMPUTER_GAMES": 0.4, "COMPUTER_NETWORKING": 0.4, "ARCHITECTURE_PLANNING": 0.5,
    "DESIGN": 0.4, "HEALTH_WELLNESS_AND_FITNESS": 0.5, "MEDIA_PRODUCTION": 0.4,
    "WHOLESALE": 0.5, "GOVERNMENT_ADMINISTRATION": 0.4, "PROFESSIONAL_TRAINING_COACHING": 0.5,
    "LEISURE_TRAVEL_TOURISM": 0.5, "CHEMICALS": 0.4, "INDUSTRIAL_AUTOMATION": 0.4,
    "SEMICONDUCTORS": 0.3, "PUBLISHING": 0.4, "EVENTS_SERVICES": 0.4, "MARKET_RESEARCH": 0.3,
    "LEGAL_SERVICES": 0.4, "UTILITIES": 0.3, "AVIATION_AEROSPACE": 0.3, "COMMERCIAL_REAL_ESTATE": 0.3,
    "WIRELESS": 0.2, "OUTSOURCING_OFFSHORING": 0.3, "CAPITAL_MARKETS": 0.3, "RESEARCH": 0.3,
}
DEFAULT_INDUSTRY_WEIGHT = 0.08

# industry -> naming / behaviour group
_GROUPS = {
    "tech": """COMPUTER_SOFTWARE INTERNET INFORMATION_TECHNOLOGY_AND_SERVICES COMPUTER_NETWORK_SECURITY
        COMPUTER_HARDWARE COMPUTER_NETWORKING COMPUTER_GAMES INFORMATION_SERVICES SEMICONDUCTORS
        WIRELESS TELECOMMUNICATIONS CONSUMER_ELECTRONICS NANOTECHNOLOGY PROGRAM_DEVELOPMENT""",
    "finance": """FINANCIAL_SERVICES BANKING CAPITAL_MARKETS INVESTMENT_BANKING INVESTMENT_MANAGEMENT
        VENTURE_CAPITAL_PRIVATE_EQUITY INSURANCE ACCOUNTING FUND_RAISING""",
    "marketing": """MARKETING_AND_ADVERTISING PUBLIC_RELATIONS_AND_COMMUNICATIONS ONLINE_MEDIA
        MEDIA_PRODUCTION BROADCAST_MEDIA PUBLISHING DESIGN GRAPHIC_DESIGN MARKET_RESEARCH NEWSPAPERS
        ENTERTAINMENT MOTION_PICTURES_AND_FILM PHOTOGRAPHY MUSIC ANIMATION WRITING_AND_EDITING
        PRINTING EVENTS_SERVICES""",
    "health": """HOSPITAL_HEALTH_CARE MEDICAL_DEVICES MEDICAL_PRACTICE MENTAL_HEALTH_CARE
        PHARMACEUTICALS BIOTECHNOLOGY HEALTH_WELLNESS_AND_FITNESS ALTERNATIVE_MEDICINE VETERINARY""",
    "retail": """RETAIL CONSUMER_GOODS APPAREL_FASHION LUXURY_GOODS_JEWELRY SPORTING_GOODS SUPERMARKETS
        COSMETICS FOOD_BEVERAGES FURNITURE WINE_AND_SPIRITS WHOLESALE CONSUMER_SERVICES RESTAURANTS
        HOSPITALITY LEISURE_TRAVEL_TOURISM""",
    "logistics": """LOGISTICS_AND_SUPPLY_CHAIN TRANSPORTATION_TRUCKING_RAILROAD PACKAGE_FREIGHT_DELIVERY
        WAREHOUSING MARITIME AIRLINES_AVIATION IMPORT_AND_EXPORT SHIPBUILDING""",
    "construction": """CONSTRUCTION REAL_ESTATE COMMERCIAL_REAL_ESTATE BUILDING_MATERIALS
        ARCHITECTURE_PLANNING CIVIL_ENGINEERING FACILITIES_SERVICES GLASS_CERAMICS_CONCRETE""",
    "industrial": """MACHINERY MECHANICAL_OR_INDUSTRIAL_ENGINEERING ELECTRICAL_ELECTRONIC_MANUFACTURING
        INDUSTRIAL_AUTOMATION AUTOMOTIVE CHEMICALS PLASTICS MINING_METALS OIL_ENERGY
        RENEWABLES_ENVIRONMENT UTILITIES PAPER_FOREST_PRODUCTS PACKAGING_AND_CONTAINERS
        AVIATION_AEROSPACE DEFENSE_SPACE TEXTILES RAILROAD_MANUFACTURE FOOD_PRODUCTION DAIRY FARMING
        RANCHING FISHERY TOBACCO ENVIRONMENTAL_SERVICES""",
    "education": """HIGHER_EDUCATION EDUCATION_MANAGEMENT E_LEARNING PRIMARY_SECONDARY_EDUCATION
        PROFESSIONAL_TRAINING_COACHING RESEARCH LIBRARIES""",
    "professional": """MANAGEMENT_CONSULTING LAW_PRACTICE LEGAL_SERVICES STAFFING_AND_RECRUITING
        HUMAN_RESOURCES OUTSOURCING_OFFSHORING TRANSLATION_AND_LOCALIZATION
        ALTERNATIVE_DISPUTE_RESOLUTION SECURITY_AND_INVESTIGATIONS BUSINESS_SUPPLIES_AND_EQUIPMENT
        EXECUTIVE_OFFICE""",
}
INDUSTRY_GROUP = {ind: g for g, s in _GROUPS.items() for ind in s.split()}
# probability that a company of a group is a "digital" business (SaaS stack, VC funding, ...)
DIGITAL_P = {"tech": 0.85, "marketing": 0.45, "finance": 0.35, "education": 0.3,
             "professional": 0.25, "retail": 0.25, "health": 0.2}
EMP_MEDIAN_ICP, EMP_MEDIAN_OTHER = 90, 40
REVENUE_BLANK = 0.42
RPE_SIGMA = 0.8  # spread of revenue per employee (log scale)
FUNDED_P = {True: 0.7, False: 0.12}  # share of companies with funding data (digital or not)
# The demo config's ICP (see README): used here only to shape the tier mix of the regular
# companies by rejection sampling, so that the demo shows a believable spread when scored.
ICP_COUNTRIES = ["US", "CA", "GB", "DE", "FR", "NL", "SE", "ES"]
ICP_TECH = ["salesforce", "hubspot", "segment", "snowflake"]
ICP_STAGES = ["series_a", "series_b", "series_c", "series_d"]
# acceptance probability of a generated company by its demo-ICP tier
TIER_ACCEPT = {"A": 0.66, "B": 1.0, "C": 0.68, "D": 0.86}
ICP_INDUSTRIES = ["COMPUTER_SOFTWARE", "INTERNET", "INFORMATION_TECHNOLOGY_AND_SERVICES",
                  "FINANCIAL_SERVICES", "MARKETING_AND_ADVERTISING"]

# ---------------------------------------------------------------------------
# Geography: ISO alpha-2 country -> weight, name locale mix, TLDs, regions/cities
# ---------------------------------------------------------------------------
COUNTRY_WEIGHT = {
    "US": 33, "GB": 9, "DE": 8, "FR": 6, "CA": 4, "ES": 4, "NL": 3.5, "SE": 2.5,
    "BR": 6, "IN": 7, "AU": 5, "IE": 2, "CH": 2, "IT": 2, "MX": 1.5, "SG": 1.5,
    "PL": 1.5, "DK": 1, "JP": 0.7,
}
COUNTRY_LOCALES = {  # name locale mix of the people working in that country
    "US": {"en": 84, "es": 7, "in": 6, "it": 1, "de": 1, "fr": 1},
    "GB": {"en": 86, "in": 7, "pl": 3, "fr": 2, "it": 2},
    "CA": {"en": 64, "fr": 30, "in": 6},
    "AU": {"en": 90, "in": 5, "it": 5},
    "IE": {"en": 92, "pl": 4, "fr": 4},
    "SG": {"en": 70, "in": 30},
    "DE": {"de": 90, "en": 4, "pl": 3, "it": 3},
    "CH": {"de": 70, "fr": 22, "it": 8},
    "FR": {"fr": 94, "en": 2, "es": 2, "pt": 2},
    "ES": {"es": 95, "en": 3, "fr": 2},
    "MX": {"es": 97, "en": 3},
    "BR": {"pt": 97, "es": 2, "it": 1},
    "NL": {"nl": 92, "en": 4, "de": 4},
    "SE": {"sv": 94, "en": 6},
    "DK": {"sv": 92, "en": 8},
    "IN": {"in": 99, "en": 1},
    "IT": {"it": 96, "en": 4},
    "PL": {"pl": 96, "en": 4},
    "JP": {"ja": 92, "en": 8},
}
COMPANY_LOCALE = {"US": "en", "GB": "en", "CA": "en", "AU": "en", "IE": "en", "SG": "en",
                  "DE": "de", "CH": "de", "FR": "fr", "ES": "es", "MX": "es", "BR": "pt",
                  "NL": "nl", "SE": "sv", "DK": "sv", "IN": "in", "IT": "it", "PL": "pl",
                  "JP": "ja"}
TLDS = {
    "US": {"com": 76, "io": 9, "ai": 4, "co": 5, "net": 5, "us": 1},
    "GB": {"co.uk": 58, "com": 34, "io": 8}, "CA": {"ca": 50, "com": 45, "io": 5},
    "AU": {"com.au": 78, "com": 22}, "IE": {"ie": 60, "com": 40},
    "SG": {"sg": 30, "com.sg": 30, "com": 40}, "DE": {"de": 82, "com": 13, "io": 5},
    "CH": {"ch": 78, "com": 22}, "FR": {"fr": 72, "com": 24, "io": 4},
    "ES": {"es": 72, "com": 28}, "MX": {"com.mx": 72, "mx": 8, "com": 20},
    "BR": {"com.br": 86, "com": 14}, "NL": {"nl": 76, "com": 20, "io": 4},
    "SE": {"se": 76, "com": 24}, "DK": {"dk": 76, "com": 24},
    "IN": {"in": 30, "co.in": 20, "com": 50}, "IT": {"it": 76, "com": 24},
    "PL": {"pl": 82, "com": 18}, "JP": {"co.jp": 70, "jp": 10, "com": 20},
}
REGIONS = {  # country -> [(state/region, [cities], weight)]
    "US": [("California", ["San Francisco", "Los Angeles", "San Diego", "San Jose", "Palo Alto",
                           "Mountain View", "Irvine"], 18),
           ("New York", ["New York", "Brooklyn", "Buffalo", "Rochester"], 12),
           ("Texas", ["Austin", "Dallas", "Houston", "San Antonio"], 10),
           ("Massachusetts", ["Boston", "Cambridge", "Waltham"], 6),
           ("Washington", ["Seattle", "Bellevue", "Redmond"], 5),
           ("Illinois", ["Chicago", "Naperville"], 5), ("Colorado", ["Denver", "Boulder"], 4),
           ("Georgia", ["Atlanta", "Alpharetta"], 4), ("Florida", ["Miami", "Tampa", "Orlando"], 5),
           ("North Carolina", ["Raleigh", "Charlotte", "Durham"], 3),
           ("Pennsylvania", ["Philadelphia", "Pittsburgh"], 3), ("Utah", ["Salt Lake City", "Lehi"], 2),
           ("Oregon", ["Portland"], 2), ("Minnesota", ["Minneapolis"], 2), ("Ohio", ["Columbus", "Cleveland"], 2),
           ("Virginia", ["Arlington", "Reston"], 2), ("New Jersey", ["Newark", "Princeton"], 2),
           ("Michigan", ["Detroit", "Ann Arbor"], 2), ("Arizona", ["Phoenix", "Scottsdale"], 2)],
    "GB": [("England", ["London", "London", "London", "Manchester", "Bristol", "Leeds", "Birmingham",
                        "Cambridge", "Oxford", "Brighton"], 85),
           ("Scotland", ["Edinburgh", "Glasgow"], 9), ("Wales", ["Cardiff"], 4),
           ("Northern Ireland", ["Belfast"], 2)],
    "CA": [("Ontario", ["Toronto", "Ottawa", "Waterloo", "Mississauga"], 45),
           ("Québec", ["Montréal", "Québec"], 25), ("British Columbia", ["Vancouver", "Victoria"], 20),
           ("Alberta", ["Calgary", "Edmonton"], 10)],
    "AU": [("New South Wales", ["Sydney"], 45), ("Victoria", ["Melbourne"], 35),
           ("Queensland", ["Brisbane", "Gold Coast"], 12), ("Western Australia", ["Perth"], 8)],
    "IE": [("County Dublin", ["Dublin"], 80), ("County Cork", ["Cork"], 12), ("County Galway", ["Galway"], 8)],
    "SG": [("", ["Singapore"], 1)],
    "DE": [("Berlin", ["Berlin"], 22), ("Bayern", ["München", "Nürnberg", "Augsburg"], 20),
           ("Hamburg", ["Hamburg"], 12), ("Hessen", ["Frankfurt am Main", "Darmstadt"], 10),
           ("Nordrhein-Westfalen", ["Köln", "Düsseldorf", "Dortmund", "Essen"], 18),
           ("Baden-Württemberg", ["Stuttgart", "Karlsruhe", "Mannheim"], 12),
           ("Sachsen", ["Leipzig", "Dresden"], 6)],
    "CH": [("Zürich", ["Zürich", "Winterthur"], 50), ("Genève", ["Genève"], 20), ("Bern", ["Bern"], 15),
           ("Basel-Stadt", ["Basel"], 15)],
    "FR": [("Île-de-France", ["Paris", "Paris", "Boulogne-Billancourt", "Levallois-Perret"], 55),
           ("Auvergne-Rhône-Alpes", ["Lyon", "Grenoble"], 12),
           ("Provence-Alpes-Côte d'Azur", ["Marseille", "Nice", "Sophia Antipolis"], 8),
           ("Occitanie", ["Toulouse", "Montpellier"], 8), ("Nouvelle-Aquitaine", ["Bordeaux"], 6),
           ("Hauts-de-France", ["Lille"], 6), ("Pays de la Loire", ["Nantes"], 5)],
    "ES": [("Comunidad de Madrid", ["Madrid"], 45), ("Cataluña", ["Barcelona"], 35),
           ("Comunidad Valenciana", ["Valencia", "Alicante"], 8), ("Andalucía", ["Sevilla", "Málaga"], 7),
           ("País Vasco", ["Bilbao", "San Sebastián"], 5)],
    "MX": [("Ciudad de México", ["Ciudad de México"], 60), ("Jalisco", ["Guadalajara"], 20),
           ("Nuevo León", ["Monterrey"], 20)],
    "BR": [("São Paulo", ["São Paulo", "São Paulo", "Campinas"], 55), ("Rio de Janeiro", ["Rio de Janeiro"], 15),
           ("Minas Gerais", ["Belo Horizonte"], 8), ("Paraná", ["Curitiba"], 7),
           ("Rio Grande do Sul", ["Porto Alegre"], 7), ("Santa Catarina", ["Florianópolis"], 8)],
    "NL": [("Noord-Holland", ["Amsterdam", "Amsterdam", "Haarlem"], 55),
           ("Zuid-Holland", ["Rotterdam", "Den Haag", "Delft"], 25), ("Utrecht", ["Utrecht"], 12),
           ("Noord-Brabant", ["Eindhoven"], 8)],
    "SE": [("Stockholms län", ["Stockholm"], 65), ("Västra Götalands län", ["Göteborg"], 18),
           ("Skåne län", ["Malmö", "Lund"], 12), ("Uppsala län", ["Uppsala"], 5)],
    "DK": [("Hovedstaden", ["København"], 75), ("Midtjylland", ["Aarhus"], 25)],
    "IN": [("Karnataka", ["Bengaluru"], 35), ("Maharashtra", ["Mumbai", "Pune"], 25),
           ("Telangana", ["Hyderabad"], 12), ("Tamil Nadu", ["Chennai"], 10), ("Delhi", ["New Delhi"], 10),
           ("Haryana", ["Gurugram"], 8)],
    "IT": [("Lombardia", ["Milano"], 50), ("Lazio", ["Roma"], 25), ("Piemonte", ["Torino"], 13),
           ("Emilia-Romagna", ["Bologna"], 12)],
    "PL": [("Mazowieckie", ["Warszawa"], 55), ("Małopolskie", ["Kraków"], 25), ("Dolnośląskie", ["Wrocław"], 20)],
    "JP": [("Tokyo", ["Tokyo"], 75), ("Osaka", ["Osaka"], 25)],
}
PHONE_CC = {"US": "1", "CA": "1", "GB": "44", "AU": "61", "IE": "353", "SG": "65", "DE": "49",
            "CH": "41", "FR": "33", "ES": "34", "MX": "52", "BR": "55", "NL": "31", "SE": "46",
            "DK": "45", "IN": "91", "IT": "39", "PL": "48", "JP": "81"}
US_AREA = ["212", "415", "512", "617", "206", "312", "303", "404", "305", "919", "215", "801",
           "503", "612", "614", "650", "408", "646", "737", "469", "713", "571"]
CA_AREA = ["416", "647", "613", "604", "514", "403", "519", "780"]
WEBMAIL = {"DE": ["gmx.de", "web.de", "gmail.com"], "FR": ["orange.fr", "gmail.com", "free.fr"],
           "BR": ["uol.com.br", "gmail.com", "hotmail.com"], "GB": ["gmail.com", "outlook.com", "yahoo.co.uk"],
           "_": ["gmail.com", "gmail.com", "yahoo.com", "outlook.com", "hotmail.com"]}

# ---------------------------------------------------------------------------
# People: names by locale
# ---------------------------------------------------------------------------
FIRST = {
    "en": """James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara
        Richard Susan Joseph Jessica Thomas Sarah Christopher Karen Daniel Emily Matthew Ashley Andrew
        Megan Joshua Rachel Ryan Lauren Kevin Olivia Brian Emma Jason Hannah Eric Chloe Tyler Grace
        Nathan Sophie Oliver Charlotte Harry Amelia George Lucy Jack Ella Sam Katie Alex Jordan Taylor
        Morgan Liam Ava Noah Mia Ethan Zoe Connor Abigail Aidan Siobhan Dylan Brianna""",
    "fr": """Jean Marie Pierre Sophie Nicolas Camille Julien Léa Thomas Manon Antoine Chloé Maxime
        Julie Alexandre Émilie Guillaume Claire François Céline Mathieu Aurélie Sébastien Hélène
        Laurent Isabelle Olivier Nathalie Hugo Inès Lucas Margaux Benoît Élodie Jérôme Anaïs Stéphane
        Amélie Cédric Océane Jean-Baptiste Marie-Claire Gaëlle Loïc""",
    "de": """Lukas Anna Felix Laura Jonas Julia Leon Lena Maximilian Sarah Paul Lisa Niklas Katharina
        Tobias Sophie Jan Hannah Sebastian Marie Florian Johanna Stefan Sabine Andreas Claudia Michael
        Petra Thomas Susanne Jürgen Birgit Matthias Anja Markus Nicole Uwe Jörg Björn Anke Kai Jana
        Moritz Greta Lars Frauke Dominik Carina""",
    "es": """Alejandro María Javier Lucía Carlos Carmen David Laura Daniel Marta Pablo Ana Sergio
        Paula Jorge Sara Miguel Elena Antonio Cristina Manuel Isabel Raquel Álvaro Beatriz Diego
        Nuria Íñigo Begoña Adrián Sofía Rubén Andrea Francisco Pilar Juan Rocío Mónica Gonzalo
        Ximena Mauricio Guadalupe""",
    "pt": """João Maria Pedro Ana Lucas Juliana Gabriel Fernanda Rafael Camila Mateus Beatriz Gustavo
        Larissa Felipe Mariana Bruno Letícia Thiago Amanda Rodrigo Patrícia Diego Aline Leonardo
        Bianca Marcelo Renata André Carolina Vinícius Luíza Caio Tatiane Eduardo Daniela Paulo
        Vanessa Luís Gabriela""",
    "nl": """Daan Emma Sem Julia Lucas Sophie Milan Tess Levi Anna Thijs Sanne Bram Lotte Jesse Femke
        Ruben Eva Lars Fleur Pieter Anouk Joost Marieke Wouter Inge Sander Ilse Bas Maaike Jeroen
        Esther Koen Lieke""",
    "sv": """Erik Anna Lars Eva Karl Maria Johan Karin Anders Sara Per Emma Nils Elin Oskar Ida Gustav
        Linnea Axel Maja Fredrik Ingrid Magnus Sofia Björn Åsa Mikael Johanna Henrik Malin Jonas
        Klara Mattias Frida Viktor Astrid Søren Mette Rasmus Freja""",
    "in": """Aarav Priya Rahul Ananya Arjun Divya Rohan Sneha Vikram Pooja Amit Neha Sanjay Kavya
        Rajesh Anjali Karthik Deepika Suresh Lakshmi Aditya Shreya Vivek Meera Nikhil Aisha Manish
        Ritu Harish Swati Siddharth Nandini Varun Isha Gaurav Tanvi""",
    "it": """Marco Giulia Alessandro Francesca Luca Chiara Matteo Sara Andrea Valentina Giuseppe
        Federica Lorenzo Elena Davide Martina Simone Alessia Stefano Silvia Francesco Laura Paolo
        Roberta Niccolò""",
    "pl": """Jakub Anna Piotr Katarzyna Tomasz Magdalena Paweł Agnieszka Michał Joanna Krzysztof
        Aleksandra Łukasz Małgorzata Marcin Monika Mateusz Ewa Kamil Zofia Wojciech Natalia""",
    "ja": """Haruto Yui Sota Hina Ren Aoi Takumi Sakura Kenji Yuki Hiroshi Naoko Daiki Emi""",
}
LAST = {
    "en": """Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore
        Martin Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright
        Scott Hill Green Adams Baker Nelson Carter Mitchell Roberts Turner Phillips Campbell Parker
        Evans Edwards Collins Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson Reed Bailey
        Kelly Howard Ward Cox Richardson Wood Watson Brooks Bennett Gray Hughes Price Sanders Patel
        Nguyen Kim Chen Lee Wong O'Brien O'Connor MacDonald Fitzgerald Hughes-Jones Sullivan
        Gallagher Foster Hayes Russell Griffin""",
    "fr": """Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent
        Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefebvre
        Mercier Dupont Lambert Bonnet François Legrand Garnier Faure Rousseau Blanc Guérin Muller
        Henry Roussel Perrin Morin Mathieu Clément Gauthier Dumont Fontaine Chevalier Robin Masson
        Gérard Boyer Lemaire Duval Joly Noël Marchand Dufour Brun Leclerc Le Gall Da Silva""",
    "de": """Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer
        Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann
        Hartmann Lange Schmitt Werner Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann König
        Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Vogel Friedrich Keller
        Günther Frank Berger Winkler Roth Beck Lorenz Baumann Jäger Groß Brandt Haas""",
    "es": """García Rodríguez González Fernández López Martínez Sánchez Pérez Gómez Martín Jiménez
        Ruiz Hernández Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres Domínguez
        Vázquez Ramos Gil Ramírez Serrano Blanco Molina Morales Suárez Ortega Delgado Castro Ortiz
        Rubio Marín Sanz Núñez Iglesias Medina Garrido Cortés Castillo Santos Lozano Guerrero Cano
        Prieto Méndez Cruz Calvo Vidal León Herrera Peña Flores Cabrera Vega Fuentes Ibáñez Ferrer""",
    "pt": """Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa Ribeiro
        Martins Carvalho Almeida Lopes Soares Fernandes Vieira Barbosa Rocha Dias Nascimento Andrade
        Moreira Nunes Marques Machado Mendes Freitas Cardoso Ramos Gonçalves Santana Teixeira Araújo
        Conceição Magalhães Brandão Azevedo Cavalcanti Monteiro Correia Pinto Moura Cunha Castro
        Melo Batista""",
    "nl": """de_Jong Jansen de_Vries van_den_Berg van_Dijk Bakker Janssen Visser Smit Meijer de_Boer
        Mulder de_Groot Bos Vos Peters Hendriks van_Leeuwen Dekker Brouwer de_Wit Dijkstra Smits
        de_Graaf van_der_Meer van_der_Linden Kok Jacobs de_Haan Vermeulen van_den_Heuvel van_der_Veen
        van_den_Broek de_Bruijn van_der_Heijden Schouten van_Beek Willems van_Vliet Hoekstra Maas
        Verhoeven Koster van_Dam Prins Blom Huisman""",
    "sv": """Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson Gustafsson
        Pettersson Jonsson Jansson Hansson Bengtsson Jönsson Lindberg Jakobsson Magnusson Olofsson
        Lindström Lindqvist Lindgren Berg Axelsson Bergström Lundberg Lind Lundgren Lundqvist
        Mattsson Berglund Fredriksson Sandberg Henriksson Forsberg Sjöberg Wallin Engström Eklund
        Håkansson Björk Nyström Söderberg Nielsen Jensen Hansen Pedersen Rasmussen Christensen""",
    "in": """Sharma Verma Gupta Patel Singh Kumar Reddy Iyer Nair Rao Menon Joshi Desai Mehta Shah
        Agarwal Bansal Chopra Malhotra Kapoor Banerjee Chatterjee Mukherjee Das Bose Pillai Krishnan
        Subramanian Venkatesh Naidu Kulkarni Deshpande Jain Saxena Mishra Pandey Trivedi Bhatt
        Srinivasan""",
    "it": """Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti
        De_Luca Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro Mariani
        Rinaldi Caruso Ferrara Galli Martini Leone Longo Gentile Martinelli Vitale Serra Coppola
        De_Santis D'Angelo Marchetti""",
    "pl": """Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański
        Woźniak Dąbrowski Kozłowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski Grabowski
        Nowakowski Pawłowski Michalski Król Wieczorek Jabłoński Wróbel Majewski Olszewski Stępień""",
    "ja": """Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida
        Yamada Sasaki Matsumoto Inoue""",
}
FIRST = {k: v.split() for k, v in FIRST.items()}
LAST = {k: [w.replace("_", " ") for w in v.split()] for k, v in LAST.items()}

# ---------------------------------------------------------------------------
# Job titles by language: (title, weight). Weights give a realistic CRM skew:
# many individual contributors and managers, fewer executives.
# ---------------------------------------------------------------------------
TITLES_EN = """
CEO|3 Founder & CEO|1.5 Co-Founder|1.4 Founder|0.9 Chief Executive Officer|1 President|1 Owner|1.5
Managing Director|1.5 COO|0.7 CFO|1 CTO|1.2 CMO|0.7 CIO|0.6 CRO|0.3 Chief Revenue Officer|0.3
Chief Technology Officer|0.4 Chief Marketing Officer|0.3 Chief Financial Officer|0.4
Chief Operating Officer|0.3 Chief Data Officer|0.15 Chief People Officer|0.2 General Counsel|0.3
Partner|0.6 Managing Partner|0.3 Co-Founder & CTO|0.4
VP Engineering|0.8 VP of Sales|1 VP Marketing|0.9 VP Sales|0.7 VP Product|0.5 VP Finance|0.4
VP Operations|0.5 VP Customer Success|0.4 SVP Sales|0.2 EVP Operations|0.1
Vice President of Engineering|0.3 VP Business Development|0.3 VP People|0.2 VP of IT|0.2
VP Sales North America|0.15 VP Revenue Operations|0.1
Head of Sales EMEA|0.4 Head of Marketing|0.8 Head of Engineering|0.6 Head of Product|0.6
Head of Growth|0.5 Head of Data|0.4 Head of Finance|0.3 Head of People|0.4 Head of Customer Success|0.4
Head of IT|0.4 Head of Procurement|0.2 Head of Partnerships|0.3 Head of Design|0.2 Head of Legal|0.1
Head of Operations|0.4 Head of Revenue Operations|0.2 Head of Sales|0.5 Head of Data Engineering|0.15
Director of Engineering|0.6 Sales Director|0.8 Marketing Director|0.7 Director of Product Management|0.3
IT Director|0.6 Finance Director|0.5 Director of Operations|0.5 HR Director|0.4
Director, Demand Generation|0.3 Director of Customer Success|0.3 Director of Data Science|0.2
Creative Director|0.3 Director of Procurement|0.2 Regional Sales Director|0.3
Senior Director, Product Marketing|0.15 Engineering Director|0.2 Director of IT Infrastructure|0.15
Marketing Manager|1.5 Sales Manager|1.3 Product Manager|1.5 Engineering Manager|1 Project Manager|1.2
Office Manager|0.6 IT Manager|0.9 HR Manager|0.7 Operations Manager|1 Account Manager|1.5
Customer Success Manager|1.2 Finance Manager|0.5 Procurement Manager|0.4 Content Marketing Manager|0.5
Demand Generation Manager|0.4 Senior Product Manager|0.7 Program Manager|0.5 Partner Manager|0.3
Revenue Operations Manager|0.3 Social Media Manager|0.3 Brand Manager|0.3 Facilities Manager|0.2
Key Account Manager|0.5 Marketing Operations Manager|0.3 Data Engineering Manager|0.15
Sr. Software Engineer|1.5 Senior Software Engineer|1.5 Staff Engineer|0.4 Principal Engineer|0.3
Senior Data Scientist|0.5 Senior Account Executive|0.7 Senior Financial Analyst|0.3 Senior Designer|0.3
Solutions Architect|0.6 Lead Developer|0.5 Tech Lead|0.5 Senior Accountant|0.3 Senior Data Engineer|0.5
Senior DevOps Engineer|0.3 Senior Marketing Specialist|0.3 Senior Consultant|0.5
Software Engineer|2.5 Account Executive|2.5 Sales Development Representative|1.5
Business Development Representative|1.2 Marketing Specialist|1 Data Analyst|1 Data Scientist|0.8
Data Engineer|0.8 DevOps Engineer|0.6 Frontend Developer|0.6 Backend Developer|0.6
Full Stack Developer|0.6 QA Engineer|0.5 UX Designer|0.6 Product Designer|0.5
Customer Support Specialist|0.8 Customer Success Associate|0.4 Recruiter|0.6
Talent Acquisition Specialist|0.4 Accountant|0.6 Financial Analyst|0.6 Business Analyst|0.7
Consultant|1 Systems Administrator|0.5 Network Engineer|0.3 Paralegal|0.2 Legal Counsel|0.3
Buyer|0.2 Procurement Specialist|0.2 Registered Nurse|0.3 Physician|0.2 Teacher|0.2
Executive Assistant|0.6 Administrative Assistant|0.5 Office Administrator|0.3 Content Writer|0.3
Graphic Designer|0.4 Sales Engineer|0.4 Support Engineer|0.4 Operations Analyst|0.4
Marketing Coordinator|0.5 Associate|0.3 Analyst|0.4 Machine Learning Engineer|0.3
Marketing Intern|0.4 Software Engineering Intern|0.4 Sales Intern|0.2 Intern|0.2 Graduate Trainee|0.1
"""
TITLES_FR = """
Directeur Général|1 PDG|1 Président|0.5 Fondateur|0.5 Co-fondateur|0.5 Directeur Commercial|1
Directrice Marketing|0.6 Directeur Marketing|0.6 Directeur Financier|0.6 DAF|0.3
Directeur des Systèmes d'Information|0.4 DSI|0.3 Directeur Technique|0.4 Directeur des Opérations|0.3
Responsable Marketing|0.8 Responsable Commercial|0.7 Responsable des Ressources Humaines|0.5
Chef de Projet|1 Chef de Produit|0.6 Ingénieur Logiciel|1 Développeur Full Stack|0.7
Ingénieur Commercial|0.8 Chargé de Marketing|0.6 Chargée de Communication|0.5 Comptable|0.5
Contrôleur de Gestion|0.4 Assistante de Direction|0.5 Stagiaire Marketing|0.3 Alternant Développeur|0.2
Consultant|0.6 Data Scientist|0.3 Acheteur|0.3 Juriste|0.2 Business Developer|0.5 Key Account Manager|0.4
Responsable Grands Comptes|0.3 Directrice des Ressources Humaines|0.3
"""
TITLES_DE = """
Geschäftsführer|2 Geschäftsführerin|0.6 Inhaber|0.6 Gründer|0.4 Vorstand|0.3 Leiter Vertrieb|0.9
Vertriebsleiter|0.7 Leiterin Marketing|0.5 Marketingleiter|0.5 Leiter IT|0.6 IT-Leiter|0.5
Abteilungsleiter Einkauf|0.3 Leiter Personal|0.3 Personalreferentin|0.4 Softwareentwickler|1
Software-Entwickler|0.5 Senior Softwareentwickler|0.5 Teamleiter Entwicklung|0.4 Projektleiter|0.9
Produktmanager|0.5 Key Account Manager|0.7 Vertriebsmitarbeiter|0.6 Kundenberater|0.4
Buchhalter|0.4 Controller|0.4 Kaufmännischer Leiter|0.4 Technischer Leiter|0.4 Prokurist|0.3
Assistenz der Geschäftsführung|0.5 Werkstudent Marketing|0.3 Praktikant|0.2 Systemadministrator|0.4
Datenanalyst|0.3 Einkäufer|0.3 CTO|0.3 Head of Sales DACH|0.3 Bereichsleiter Finanzen|0.2
"""
TITLES_ES = """
Director General|1 CEO|0.6 Fundador|0.4 Consejero Delegado|0.3 Director Comercial|0.8
Director de Marketing|0.6 Directora Financiera|0.4 Director Financiero|0.4 Director de Tecnología|0.3
Jefe de Ventas|0.8 Jefa de Proyecto|0.4 Jefe de Proyecto|0.6 Jefe de Compras|0.3
Gerente de Marketing|0.6 Gerente General|0.6 Gerente de Ventas|0.6
Responsable de Recursos Humanos|0.4 Ingeniero de Software|0.9 Desarrollador Full Stack|0.6
Analista de Datos|0.5 Ejecutivo de Cuentas|0.6 Consultor|0.6 Comercial|0.5 Técnico de Sistemas|0.4
Contable|0.3 Administrativo|0.4 Asistente de Dirección|0.4 Becario de Marketing|0.3
Responsable de Operaciones|0.3 Directora de Recursos Humanos|0.2
"""
TITLES_PT = """
Diretor Executivo|0.6 CEO|0.8 Sócio-Fundador|0.5 Fundador|0.3 Sócio|0.4 Diretor Comercial|0.8
Diretora de Marketing|0.5 Diretor Financeiro|0.5 Diretor de Tecnologia|0.4 Gerente de Marketing|0.7
Gerente Comercial|0.7 Gerente de Vendas|0.6 Gerente de TI|0.5 Gerente de Projetos|0.6
Coordenador de Vendas|0.5 Coordenadora de RH|0.4 Analista de Marketing|0.8 Analista de Sistemas|0.7
Analista Financeiro|0.5 Desenvolvedor Full Stack|0.6 Engenheiro de Software|0.7
Executivo de Contas|0.5 Vendedor|0.4 Assistente Administrativo|0.4 Estagiário de Marketing|0.3
Estagiária|0.2 Comprador|0.3 Consultor|0.4 Advogado|0.2
"""


def _parse_titles(block: str) -> tuple[list[str], list[float]]:
    # titles are written as "Title Words|weight", separated by whitespace
    titles, weights = [], []
    tokens = block.split()
    cur: list[str] = []
    for tok in tokens:
        if "|" in tok:
            word, w = tok.split("|")
            cur.append(word)
            titles.append(" ".join(cur))
            weights.append(float(w))
            cur = []
        else:
            cur.append(tok)
    assert not cur, cur
    return titles, weights


TITLES = {lang: _parse_titles(b) for lang, b in
          (("en", TITLES_EN), ("fr", TITLES_FR), ("de", TITLES_DE), ("es", TITLES_ES), ("pt", TITLES_PT))}
# titles that only occur in companies of one industry group
TITLE_GROUP = {"Registered Nurse": "health", "Physician": "health", "Teacher": "education",
               "Paralegal": "professional", "Juriste": "professional", "Advogado": "professional"}
REGION_SUFFIX = {"en": [" EMEA", " APAC", ", North America", " - DACH", " LATAM", " UK&I", " Nordics"]}

# ---------------------------------------------------------------------------
# Technologies (HubSpot "Web Technologies" style, lowercase snake)
# ---------------------------------------------------------------------------
# name: (probability for a non-digital company, probability for a digital one)
TECH_P = {
    "salesforce": (0.22, 0.27), "hubspot": (0.20, 0.27), "segment": (0.02, 0.13),
    "snowflake": (0.02, 0.12), "aws": (0.15, 0.55), "google_cloud": (0.05, 0.15),
    "azure": (0.10, 0.12), "google_analytics": (0.55, 0.7), "google_tag_manager": (0.35, 0.55),
    "stripe": (0.04, 0.3), "zendesk": (0.05, 0.18), "intercom": (0.02, 0.2), "shopify": (0.05, 0.04),
    "wordpress": (0.35, 0.2), "marketo": (0.03, 0.08), "pardot": (0.03, 0.05), "mailchimp": (0.12, 0.08),
    "slack": (0.12, 0.5), "microsoft_teams": (0.25, 0.12), "jira": (0.06, 0.4), "confluence": (0.04, 0.25),
    "github": (0.03, 0.35), "datadog": (0.01, 0.18), "new_relic": (0.01, 0.08), "sentry": (0.01, 0.15),
    "cloudflare": (0.12, 0.35), "twilio": (0.01, 0.1), "sendgrid": (0.03, 0.15), "okta": (0.03, 0.12),
    "mixpanel": (0.01, 0.1), "amplitude": (0.01, 0.09), "hotjar": (0.08, 0.15), "optimizely": (0.01, 0.04),
    "drift": (0.01, 0.05), "gong": (0.01, 0.06), "outreach": (0.01, 0.06), "zoominfo": (0.02, 0.07),
    "linkedin_insight": (0.10, 0.3), "facebook_pixel": (0.2, 0.2), "docusign": (0.05, 0.1),
    "workday": (0.03, 0.04), "sap": (0.06, 0.01), "oracle": (0.04, 0.02), "netsuite": (0.03, 0.06),
    "quickbooks": (0.05, 0.04), "xero": (0.03, 0.03), "magento": (0.02, 0.01), "woocommerce": (0.04, 0.01),
    "wix": (0.05, 0.01), "squarespace": (0.04, 0.01), "react": (0.03, 0.4), "kubernetes": (0.01, 0.2),
    "tableau": (0.04, 0.06), "looker": (0.01, 0.06), "bigquery": (0.01, 0.07), "databricks": (0.005, 0.05),
    "servicenow": (0.02, 0.02), "freshdesk": (0.03, 0.04),
}
RETAIL_TECH = {"shopify": 0.35, "magento": 0.08, "woocommerce": 0.12, "klaviyo": 0.2}

FUNDING_RANGES = {  # total raised (USD) by latest stage
    "pre_seed": (1e5, 1.5e6), "angel": (5e4, 1e6), "seed": (5e5, 5e6), "series_a": (5e6, 3e7),
    "series_b": (2e7, 9e7), "series_c": (5e7, 2.5e8), "series_d": (1e8, 5e8), "series_e": (2e8, 9e8),
    "private_equity": (2e7, 8e8), "post_ipo_equity": (2e8, 3e9), "debt_financing": (1e6, 5e7),
    "series_unknown": (1e6, 3e7), "grant": (5e4, 2e6),
}
LIFECYCLE = {"lead": 33, "subscriber": 6, "marketingqualifiedlead": 12, "salesqualifiedlead": 9,
             "opportunity": 9, "customer": 18, "evangelist": 2, "other": 4, "": 7}

# ---------------------------------------------------------------------------
# Company name parts by locale
# ---------------------------------------------------------------------------
EN_STEMS = """Bright Blue Clear Cloud Core Deep Echo Ever Fair First Flux Forge Green Grid Harbor High
    Hyper Iron Key Lake Level Light Lumen Mint Neo Next North Nova Oak Omni Open Orbit Peak Pine
    Pixel Prime Quant Quick Red River Rock Sage Signal Silver Sky Snow Solid Spark Stack Star Stone
    Summit Sun Swift Terra True Vast Vector Vertex West Wild Wise Zen Arc Atlas Beacon Birch Bold
    Cedar Coral Crest Delta Ember Falcon Fern Glow Halo Hawk Indigo Juniper Kite Lark Maple Meadow
    Nimbus Onyx Opal Quill Raven Ridge Slate Sparrow Tide Tundra Willow Zephyr""".split()
EN_SUFFIXES = """wave ly ify hub flow works base point line bit path loop scale gate leaf craft mark
    field bridge view sight logic desk nest port box beam cast shift sync wise stream lane dock
    forge yard pilot metric grid frame spring""".split()
IN_STEMS = """Sapphire Lotus Ganga Indus Himalaya Sahyadri Shakti Surya Akash Vayu Prithvi Nirmaan
    Aarav Kaveri Narmada Tejas Vistara Ananta Pragati Navya""".split()
PLACES_EN = """Pacific Atlantic Summit Bay Metro Capital Harbor Coastal Highland Northern Southern
    Midwest Lakeside Riverside Granite Evergreen Liberty Heritage Pioneer Frontier""".split()
SECTOR_EN = {
    "tech": "Software|Technologies|Systems|Labs|Cloud|Data|Analytics|AI|Digital|Networks|Solutions|Platforms",
    "finance": "Capital|Financial|Partners|Payments|Wealth|Advisors|Finance|Lending",
    "marketing": "Media|Creative|Marketing|Agency|Studio|Digital|Brands|Communications",
    "health": "Health|Medical|Care|Clinics|Therapeutics|Biosciences|Diagnostics|Wellness",
    "retail": "Goods|Market|Outfitters|Supply|Stores|Brands|Trading",
    "logistics": "Logistics|Freight|Transport|Shipping|Cargo|Distribution",
    "construction": "Construction|Builders|Properties|Realty|Homes|Development",
    "industrial": "Manufacturing|Industries|Machinery|Components|Materials|Engineering|Energy",
    "education": "Academy|Learning|Education|Institute|Training",
    "professional": "Consulting|Partners|Advisory|Group|Associates|Staffing|Solutions",
    "general": "Group|Services|Company|Holdings|Partners|Enterprises",
}
SECTOR_EN = {k: v.split("|") for k, v in SECTOR_EN.items()}
LEGAL = {
    "US": {"Inc.": 40, "LLC": 20, "Corp.": 6, "": 34}, "CA": {"Inc.": 45, "Ltd.": 15, "": 40},
    "GB": {"Ltd": 45, "Limited": 15, "plc": 3, "": 37}, "AU": {"Pty Ltd": 55, "": 45},
    "IE": {"Ltd": 45, "DAC": 5, "": 50}, "SG": {"Pte Ltd": 65, "": 35},
    "IN": {"Pvt Ltd": 40, "Private Limited": 25, "Pvt. Ltd.": 15, "": 20},
    "DE": {"GmbH": 70, "AG": 10, "GmbH & Co. KG": 12, "SE": 2, "UG": 6}, "CH": {"AG": 60, "GmbH": 30, "SA": 10},
    "FR": {"SAS": 55, "SARL": 15, "SA": 15, "": 15}, "ES": {"S.L.": 65, "S.A.": 20, "S.L.U.": 5, "": 10},
    "MX": {"S.A. de C.V.": 70, "S. de R.L. de C.V.": 15, "": 15}, "BR": {"Ltda": 60, "S.A.": 20, "ME": 5, "": 15},
    "NL": {"B.V.": 80, "N.V.": 5, "": 15}, "SE": {"AB": 92, "": 8}, "DK": {"ApS": 55, "A/S": 40, "": 5},
    "IT": {"S.r.l.": 75, "S.p.A.": 20, "": 5}, "PL": {"Sp. z o.o.": 85, "S.A.": 15}, "JP": {"K.K.": 60, "Inc.": 25, "": 15},
}
LOCAL_WORDS = {
    "de": "Rhein Nord Süd Alpen Elbe Isar Main Spree Hanse Bavaria Weser Taunus Harz Ostsee Kontor".split(),
    "fr": "Lumière Horizon Étoile Azur Alpine Atlantique Océan Méridien Soleil Vallée Rivage Avenir Phare Boréal Cime Mistral Orée Sillage".split(),
    "es": "Ibérica Mediterránea Levante Cantábrica Andaluza Castellana Atlántica Solar Horizonte Aurora Cumbre Brisa Faro Sierra Alba Norte".split(),
    "pt": "Paulista Carioca Mineira Gaúcha Bandeirante Atlântico Horizonte Aurora Cruzeiro Ipê Jacarandá Araucária Tropical Litoral Serra Estrela".split(),
    "nl": "Noord Zuid Polder Delta Oranje Tulp Dijk Haven Molen Rijn Maas Amstel Duin Kade".split(),
    "sv": "Nordisk Norrsken Fjäll Skog Sjö Älv Vinter Ljus Berg Strand Kust Polar Väst Öst Nord".split(),
    "it": "Adriatica Tirrenica Lombarda Alpina Aurora Stella Sole Vela Faro Italica Padana".split(),
    "pl": "Wisła Mazowsze Bałtyk Tatry Orzeł Zorza Warta Odra Polska".split(),
    "ja": "Sakura Fuji Hikari Midori Kaze Sora Yamato Nami Asahi".split(),
}
LOCAL_SECTOR = {
    "de": {"tech": "Software Systeme Digital Datentechnik IT-Service Informatik", "finance": "Finanz Versicherung Vermögensberatung Treuhand",
           "logistics": "Logistik Spedition Transporte", "construction": "Bau Immobilien Hausbau Projektbau",
           "industrial": "Maschinenbau Technik Elektro Automation Anlagenbau Energie", "health": "Medizintechnik Pflege Praxis Pharma",
           "retail": "Handel Vertrieb Moden Feinkost", "professional": "Beratung Consulting Personal Rechtsanwälte",
           "marketing": "Werbeagentur Medien Kommunikation", "education": "Akademie Bildung Schule",
           "general": "Gruppe Dienstleistungen Service Handel"},
    "fr": {"tech": "Technologies Informatique Digital Logiciels Systèmes", "finance": "Finance Assurances Gestion Patrimoine",
           "logistics": "Logistique Transports Fret", "construction": "Immobilier Bâtiment Construction Habitat",
           "industrial": "Industries Énergie Mécanique Ingénierie", "health": "Santé Médical Pharma Soins",
           "retail": "Distribution Commerce Boutiques", "professional": "Conseil Partenaires Expertise Recrutement",
           "marketing": "Médias Communication Création", "education": "Formation Académie Éducation",
           "general": "Services Groupe Entreprises"},
    "es": {"tech": "Tecnología Sistemas Informática Soluciones Digital", "finance": "Finanzas Seguros Inversiones Capital",
           "logistics": "Logística Transportes Distribuciones", "construction": "Construcciones Inmobiliaria Obras",
           "industrial": "Ingeniería Industrias Energía Técnica", "health": "Salud Clínica Farma",
           "retail": "Comercial Distribuciones Tiendas", "professional": "Consultoría Asesores Abogados Servicios",
           "marketing": "Comunicación Medios Publicidad", "education": "Formación Academia Educación",
           "general": "Servicios Grupo Soluciones"},
    "pt": {"tech": "Tecnologia Sistemas Informática Soluções Digital", "finance": "Finanças Investimentos Seguros Capital",
           "logistics": "Logística Transportes Distribuidora", "construction": "Construtora Incorporadora Engenharia Imóveis",
           "industrial": "Indústria Engenharia Energia Metalúrgica", "health": "Saúde Clínica Farma",
           "retail": "Comércio Distribuidora Varejo", "professional": "Consultoria Assessoria Advogados Serviços",
           "marketing": "Comunicação Mídia Publicidade", "education": "Educação Ensino Academia",
           "general": "Serviços Participações Comércio"},
    "nl": {"tech": "Software Data Digitaal ICT Systemen", "finance": "Finance Verzekeringen Vermogensbeheer",
           "logistics": "Logistiek Transport Expeditie", "construction": "Bouw Vastgoed Installatietechniek",
           "industrial": "Techniek Machinebouw Energie", "health": "Zorg Medisch", "retail": "Handel Winkels",
           "professional": "Advies Consultancy Groep", "marketing": "Media Communicatie Reclame",
           "education": "Opleidingen Academie", "general": "Groep Diensten"},
    "sv": {"tech": "Data System Teknik Digital Mjukvara", "finance": "Finans Kapital Försäkring",
           "logistics": "Logistik Transport Frakt", "construction": "Bygg Fastigheter Entreprenad",
           "industrial": "Teknik Industri Energi Verkstad", "health": "Vård Medicin", "retail": "Handel Butiker",
           "professional": "Konsult Rådgivning Bemanning", "marketing": "Media Kommunikation Reklam",
           "education": "Utbildning Akademi", "general": "Gruppen Tjänster"},
    "it": {"tech": "Tecnologie Sistemi Informatica Digitale Software", "finance": "Finanza Assicurazioni Capitali",
           "logistics": "Logistica Trasporti Spedizioni", "construction": "Costruzioni Immobiliare Edilizia",
           "industrial": "Industrie Meccanica Energia Impianti", "health": "Salute Medicale Farmaceutica",
           "retail": "Commerciale Distribuzione", "professional": "Consulenza Servizi Studio",
           "marketing": "Comunicazione Media Pubblicità", "education": "Formazione Accademia",
           "general": "Servizi Gruppo"},
    "pl": {"tech": "Technologie Systemy Informatyka Software", "finance": "Finanse Ubezpieczenia Inwestycje",
           "logistics": "Logistyka Transport Spedycja", "construction": "Budownictwo Nieruchomości",
           "industrial": "Przemysł Energetyka Technika", "health": "Medycyna Zdrowie", "retail": "Handel Dystrybucja",
           "professional": "Doradztwo Usługi Konsulting", "marketing": "Media Komunikacja Reklama",
           "education": "Edukacja Akademia", "general": "Usługi Grupa"},
    "ja": {"tech": "Systems Technology Software Digital", "general": "Trading Holdings Industries"},
}
LOCAL_SECTOR = {loc: {g: s.split() for g, s in d.items()} for loc, d in LOCAL_SECTOR.items()}

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
_FOLD = str.maketrans({"ß": "ss", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE",
                       "đ": "d", "œ": "oe", "Œ": "OE"})
_DE_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def ascii_fold(s: str, german: bool = False) -> str:
    if german:
        s = s.translate(_DE_FOLD)
    s = s.translate(_FOLD)
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")


def slug(s: str, sep: str = "", german: bool = False) -> str:
    s = ascii_fold(s, german).lower().replace("&", " ")
    words = ["".join(ch for ch in w if ch.isalnum()) for w in s.split()]
    return sep.join(w for w in words if w)


def pick(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def round_sig(x: float, sig: int) -> int:
    if x <= 0:
        return 0
    d = sig - int(math.floor(math.log10(x))) - 1
    return int(round(x, d))


def fmt_ts(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def rand_ts(rng: random.Random, start: dt.datetime = T_START, end: dt.datetime = T_END) -> dt.datetime:
    span = int((end - start).total_seconds())
    # skewed towards recent modifications
    return start + dt.timedelta(seconds=int(span * (rng.random() ** 0.6)))


class IdPool:
    """Unique HubSpot-like numeric ids: 9 to 11 digits, mostly 10/11."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[int] = set()

    def new(self) -> str:
        while True:
            ndig = self.rng.choices([9, 10, 11], weights=[8, 55, 37])[0]
            v = self.rng.randrange(10 ** (ndig - 1), 10 ** ndig)
            if v not in self.used:
                self.used.add(v)
                return str(v)


# ---------------------------------------------------------------------------
# companies
# ---------------------------------------------------------------------------
class Companies:
    def __init__(self, rng: random.Random, ids: IdPool):
        self.rng = rng
        self.ids = ids
        self.domains: set[str] = {"rivalcrm.com", "rival-analytics.io"}
        ind_keys = HUBSPOT_INDUSTRIES
        self.ind_keys = ind_keys
        self.ind_w = [INDUSTRY_WEIGHT.get(k, DEFAULT_INDUSTRY_WEIGHT) for k in ind_keys]

    # -- names -------------------------------------------------------------
    def _en_name(self, group: str, country: str, stems: list[str]) -> tuple[str, list[str]]:
        rng = self.rng
        r = rng.random()
        sector = rng.choice(SECTOR_EN.get(group, SECTOR_EN["general"]))
        if group in ("professional", "finance") and r < 0.22:
            a, b = rng.sample(LAST["en"], 2)
            word = rng.choice(["", "", "Partners", "Associates", "LLP"] if group == "professional"
                              else ["", "Capital", "Partners", "& Co."])
            core = f"{a} & {b}"
            name = f"{core} {word}".strip()
            cands = [slug(a) + slug(b), slug(a) + "-" + slug(b), slug(a) + slug(b) + slug(word or "group")]
            return name, cands
        if r < 0.55:  # compound brand
            brand = rng.choice(stems) + rng.choice(EN_SUFFIXES)
            if rng.random() < 0.45:
                name = f"{brand} {sector}"
                cands = [slug(brand), slug(brand + sector), slug(brand) + "-" + slug(sector),
                         "get" + slug(brand), slug(brand) + "hq"]
            else:
                name = brand
                cands = [slug(brand), "get" + slug(brand), slug(brand) + "hq", "try" + slug(brand),
                         slug(brand) + "app"]
            return name, cands
        if r < 0.80:
            stem = rng.choice(stems)
            name = f"{stem} {sector}"
            cands = [slug(name), slug(name, "-"), slug(name) + "group", slug(name) + "hq"]
            return name, cands
        if r < 0.90:
            sur = rng.choice(LAST["en"])
            name = f"{sur} {sector}"
            cands = [slug(name), slug(name, "-"), slug(name) + "co"]
            return name, cands
        place = rng.choice(PLACES_EN)
        name = f"{place} {sector}"
        cands = [slug(name), slug(name, "-"), slug(name) + "group", slug(name) + "inc"]
        return name, cands

    def _local_name(self, loc: str, group: str) -> tuple[str, list[str]]:
        rng = self.rng
        sectors = LOCAL_SECTOR[loc].get(group) or LOCAL_SECTOR[loc]["general"]
        sector = rng.choice(sectors)
        german = loc == "de"
        r = rng.random()
        if r < 0.4 and loc not in ("ja",):
            sur = rng.choice(LAST[loc])
            if loc == "fr" and rng.random() < 0.3:
                name = rng.choice([f"Groupe {sur}", f"Cabinet {sur}", f"{sur} & Fils"])
            elif loc == "pt" and rng.random() < 0.3:
                name = rng.choice([f"{sur} & Filhos", f"Grupo {sur}"])
            elif loc == "es" and rng.random() < 0.3:
                name = rng.choice([f"{sur} y Asociados", f"Grupo {sur}"])
            else:
                name = f"{sur} {sector}"
        else:
            word = rng.choice(LOCAL_WORDS[loc])
            if loc == "fr" and rng.random() < 0.25:
                name = f"Société {word}"
            elif loc in ("es", "pt") and rng.random() < 0.5:
                name = f"{sector} {word}"
            elif loc == "de" and sector.isalpha() and sector[1:].islower() and rng.random() < 0.35:
                name = f"{word}{sector.lower()}"  # German compound, e.g. "Rheinlogistik"
            else:
                name = f"{word} {sector}"
        cands = [slug(name, german=german), slug(name, "-", german=german),
                 slug(name, german=german) + "group", slug(name, german=german) + "online"]
        return name, cands

    def make_name(self, country: str, group: str, digital: bool) -> tuple[str, list[str]]:
        loc = COMPANY_LOCALE[country]
        if loc == "en" or (digital and self.rng.random() < 0.6) or (loc not in LOCAL_SECTOR):
            stems = EN_STEMS if loc != "in" or self.rng.random() < 0.5 else IN_STEMS
            name, cands = self._en_name(group, country, stems)
        elif loc == "in":
            name, cands = self._en_name(group, country, IN_STEMS)
        else:
            name, cands = self._local_name(loc, group)
        legal = pick(self.rng, LEGAL.get(country, {"": 1}))
        full = f"{name} {legal}".strip() if legal else name
        return full, cands

    def make_domain(self, cands: list[str], country: str, digital: bool) -> str:
        rng = self.rng
        tlds = dict(TLDS[country])
        if digital and "io" not in tlds:
            tlds["io"] = 6
        if digital:
            tlds["io"] = tlds.get("io", 0) * 2.5
        tld = pick(rng, tlds)
        order = [tld] + [t for t in tlds if t != tld]
        for base in cands:
            if not base or len(base) < 3:
                continue
            for t in order[:2]:
                d = f"{base}.{t}"
                if d not in self.domains:
                    self.domains.add(d)
                    return d
        n = 2
        while True:
            d = f"{cands[0]}{n}.{tld}"
            if d not in self.domains:
                self.domains.add(d)
                return d
            n += 1

    # -- one company -------------------------------------------------------
    def make(self) -> dict:
        rng = self.rng
        industry = rng.choices(self.ind_keys, weights=self.ind_w)[0]
        group = INDUSTRY_GROUP.get(industry, "general")
        digital = rng.random() < DIGITAL_P.get(group, 0.1)
        country = pick(rng, COUNTRY_WEIGHT)
        name, cands = self.make_name(country, group, digital)
        domain = self.make_domain(cands, country, digital)
        c = {"id": self.ids.new(), "name": name, "domain": domain, "industry": industry,
             "group": group, "digital": digital, "country": country}
        self.fill(c)
        return c

    def fill(self, c: dict) -> None:
        """Everything after name/domain/industry/country."""
        rng = self.rng
        domain, country, group, digital = c["domain"], c["country"], c["group"], c["digital"]
        w = rng.random()
        c["website"] = ("" if w < 0.12 else f"https://www.{domain}" if w < 0.55 else
                        f"https://{domain}" if w < 0.75 else f"http://www.{domain}" if w < 0.8 else
                        f"www.{domain}" if w < 0.93 else domain)
        # median headcount: the ICP industries skew larger than the long tail of small local businesses
        mu = math.log(EMP_MEDIAN_ICP if c["industry"] in ICP_INDUSTRIES else EMP_MEDIAN_OTHER)
        if rng.random() < 0.02:  # a thin tail of large enterprises
            mu = math.log(9000)
        emp = int(round(math.exp(rng.gauss(mu, 1.65 if mu < 8 else 0.75))))
        emp = max(1, min(50000, emp))
        c["employees_n"] = emp
        c["employees"] = "" if rng.random() < 0.06 else str(emp)
        rpe = math.exp(rng.gauss(math.log(160_000 if group in ("finance", "tech", "retail") else 120_000), RPE_SIGMA))
        rev = round_sig(emp * rpe, 2 if rng.random() < 0.7 else 3)
        c["revenue"] = "" if rng.random() < REVENUE_BLANK else str(rev)
        regions = REGIONS[country]
        state, cities, _ = rng.choices(regions, weights=[r[2] for r in regions])[0]
        city = rng.choice(cities)
        c["state_true"], c["city_true"] = state, city  # kept for reference.csv (no rng call)
        c["state"] = "" if rng.random() < 0.1 else state
        c["city"] = "" if rng.random() < 0.05 else city
        if digital:
            age = rng.lognormvariate(math.log(7 + 2 * math.log10(emp + 1)), 0.55)
            age = min(age, 35)
        else:
            age = rng.lognormvariate(math.log(14 + 6 * math.log10(emp + 1)), 0.75)
            age = min(age, 160)
        c["founded_true"] = str(2026 - max(0, int(age)))  # kept for reference.csv (no rng call)
        c["founded"] = "" if rng.random() < 0.09 else c["founded_true"]
        # funding
        fp = FUNDED_P[digital]
        stage = ""
        if rng.random() < fp:
            if emp < 15:
                sw = {"pre_seed": 20, "angel": 12, "seed": 50, "series_a": 12, "grant": 4, "series_unknown": 2}
            elif emp < 80:
                sw = {"seed": 30, "series_a": 38, "series_b": 14, "angel": 4, "debt_financing": 6, "series_unknown": 8}
            elif emp < 400:
                sw = {"series_a": 20, "series_b": 32, "series_c": 20, "series_d": 6, "private_equity": 10,
                      "debt_financing": 7, "series_unknown": 5}
            elif emp < 3000:
                sw = {"series_b": 12, "series_c": 22, "series_d": 18, "series_e": 8, "private_equity": 22,
                      "post_ipo_equity": 12, "debt_financing": 6}
            else:
                sw = {"series_d": 8, "series_e": 6, "private_equity": 30, "post_ipo_equity": 50, "debt_financing": 6}
            stage = pick(rng, sw)
        total = ""
        if stage:
            lo, hi = FUNDING_RANGES[stage]
            if rng.random() < 0.85:
                total = str(round_sig(math.exp(rng.uniform(math.log(lo), math.log(hi))), 2))
            if rng.random() < 0.12:  # amount known, stage not recorded
                stage = ""
        c["funding_stage"] = stage
        c["funding_total"] = total
        # technologies
        techs: list[str] = []
        if rng.random() > 0.14:  # ~14 % have no technology data at all
            for t, (p0, p1) in TECH_P.items():
                p = p1 if digital else p0
                if t == "salesforce":  # adoption grows with company size
                    p = min(0.75, p + 0.09 * math.log10(emp + 1) - 0.1)
                elif t == "hubspot" and emp > 1000:
                    p *= 0.5
                elif emp > 1000 and t in ("workday", "servicenow", "okta", "tableau"):
                    p = min(0.9, p * 2)
                if rng.random() < p:
                    techs.append(t)
            if group == "retail":
                for t, p in RETAIL_TECH.items():
                    if t not in techs and rng.random() < p:
                        techs.append(t)
        c["technologies"] = ";".join(sorted(techs))
        c["lifecycle"] = pick(rng, LIFECYCLE)
        c["updated"] = rand_ts(rng)

    def row(self, c: dict) -> list[str]:
        return [c["id"], c["name"], c["domain"], c["website"], c["industry"], c["employees"],
                c["revenue"], c["country"], c["state"], c["city"], c["founded"], c["funding_total"],
                c["funding_stage"], c["technologies"], c["lifecycle"], fmt_ts(c["updated"])]


# ---------------------------------------------------------------------------
# contacts
# ---------------------------------------------------------------------------
def phone_for(rng: random.Random, country: str) -> str:
    def d(n: int) -> str:
        return "".join(str(rng.randrange(10)) for _ in range(n))

    def nz(n: int) -> str:
        return str(rng.randrange(2, 10)) + d(n - 1)

    cc = PHONE_CC[country]
    s = rng.random()
    if country in ("US", "CA"):
        area = rng.choice(US_AREA if country == "US" else CA_AREA)
        a, b = nz(3), d(4)
        return (f"+1{area}{a}{b}" if s < 0.35 else f"({area}) {a}-{b}" if s < 0.6 else
                f"{area}-{a}-{b}" if s < 0.8 else f"+1 {area} {a} {b}" if s < 0.93 else f"{area}.{a}.{b}")
    if country == "GB":
        return (f"+44 20 {d(4)} {d(4)}" if s < 0.3 else f"020 {d(4)} {d(4)}" if s < 0.5 else
                f"+447{d(9)}" if s < 0.75 else f"07{d(3)} {d(6)}")
    if country == "DE":
        return (f"+49 {rng.choice(['30', '89', '40', '69', '221'])} {d(7)}" if s < 0.4 else
                f"0{rng.choice(['30', '89', '40', '69', '221'])} {d(8)}" if s < 0.6 else
                f"+49 15{rng.randrange(1, 8)} {d(8)}" if s < 0.85 else f"+49{rng.choice(['30', '89'])}{d(8)}")
    if country == "FR":
        p = [d(2) for _ in range(4)]
        lead = rng.choice("12345679") if s < 0.6 else rng.choice("67")
        return (f"+33 {lead} {' '.join(p)}" if s < 0.35 else f"0{lead} {' '.join(p)}" if s < 0.7 else
                f"+33{lead}{''.join(p)}" if s < 0.85 else f"0{lead}.{'.'.join(p)}")
    if country in ("ES",):
        return (f"+34 91 {d(3)} {d(2)} {d(2)}" if s < 0.4 else f"+34 6{d(2)} {d(3)} {d(3)}" if s < 0.7 else
                f"93 {d(3)} {d(2)} {d(2)}" if s < 0.85 else f"+346{d(8)}")
    if country == "BR":
        ddd = rng.choice(["11", "11", "21", "31", "41", "51", "48"])
        return (f"+55 {ddd} 9{d(4)}-{d(4)}" if s < 0.4 else f"({ddd}) 9{d(4)}-{d(4)}" if s < 0.75 else
                f"+55{ddd}9{d(8)}")
    if country == "NL":
        return f"+31 20 {d(3)} {d(4)}" if s < 0.4 else f"+31 6 {d(8)}" if s < 0.75 else f"020 {d(3)} {d(4)}"
    if country == "SE":
        return f"+46 8 {d(3)} {d(3)} {d(2)}" if s < 0.4 else f"+46 70 {d(3)} {d(2)} {d(2)}" if s < 0.75 else f"08-{d(3)} {d(3)} {d(2)}"
    if country == "IN":
        return f"+91 {nz(5)} {d(5)}" if s < 0.5 else f"+91{nz(10)}" if s < 0.8 else f"0{rng.choice(['80', '22', '44', '11'])}-{d(8)}"
    if country == "AU":
        return f"+61 2 {d(4)} {d(4)}" if s < 0.3 else f"(02) {d(4)} {d(4)}" if s < 0.5 else f"+61 4{d(2)} {d(3)} {d(3)}" if s < 0.8 else f"04{d(2)} {d(3)} {d(3)}"
    return f"+{cc} {nz(3)} {d(3)} {d(3)}" if s < 0.6 else f"+{cc}{nz(9)}"


class Contacts:
    def __init__(self, rng: random.Random, ids: IdPool):
        self.rng = rng
        self.ids = ids
        self.emails: set[str] = set()

    def title(self, lang: str, group: str) -> str:
        titles, weights = TITLES[lang]
        while True:
            t = self.rng.choices(titles, weights=weights)[0]
            if TITLE_GROUP.get(t, group) == group:
                return t

    def local_parts(self, first: str, last: str, german: bool) -> list[str]:
        f = "".join(ch for ch in ascii_fold(first, german).lower() if ch.isalnum())
        s = "".join(ch for ch in ascii_fold(last, german).lower() if ch.isalnum())
        return [f"{f}.{s}", f"{f[0]}{s}", f, f"{f}{s}", f"{f}_{s}", f"{f[0]}.{s}", f"{f}.{s[0]}"]

    def corporate_email(self, first: str, last: str, domain: str, german: bool, pattern_bias: int) -> str:
        parts = self.local_parts(first, last, german)
        r = self.rng.random()
        # companies favour one pattern; a few people deviate
        order = [pattern_bias] + [i for i in range(len(parts)) if i != pattern_bias]
        if r < 0.12:
            self.rng.shuffle(order)
        for i in order:
            e = f"{parts[i]}@{domain}"
            if e not in self.emails:
                self.emails.add(e)
                return e
        n = 2
        while True:
            e = f"{parts[0]}{n}@{domain}"
            if e not in self.emails:
                self.emails.add(e)
                return e
            n += 1

    def webmail(self, first: str, last: str, country: str, german: bool) -> str:
        rng = self.rng
        host = rng.choice(WEBMAIL.get(country, WEBMAIL["_"]))
        parts = self.local_parts(first, last, german)
        while True:
            base = rng.choice([parts[0], parts[3], parts[1], parts[0]])
            e = f"{base}{rng.choice(['', str(rng.randrange(1, 99)), str(rng.randrange(1960, 2004))])}@{host}"
            if e not in self.emails:
                self.emails.add(e)
                return e


def contact_lifecycle(rng: random.Random, company_stage: str) -> str:
    if company_stage in ("customer", "evangelist") and rng.random() < 0.75:
        return "customer" if rng.random() < 0.9 else "evangelist"
    return pick(rng, {"subscriber": 10, "lead": 40, "marketingqualifiedlead": 15, "salesqualifiedlead": 8,
                      "opportunity": 6, "customer": 3, "other": 4, "": 14})


# ---------------------------------------------------------------------------
# main build
# ---------------------------------------------------------------------------
def build(seed: int = SEED):
    rng = random.Random(seed)
    cids = IdPool(rng)
    comp = Companies(rng, cids)

    # -- special (hand-written) companies ----------------------------------
    def special(name, domain, industry, country, **over):
        comp.domains.add(domain)
        group = INDUSTRY_GROUP.get(industry, "general") if industry else "general"
        c = {"id": cids.new(), "name": name, "domain": domain, "industry": industry, "group": group,
             "digital": group == "tech", "country": country}
        comp.fill(c)
        c.update(over)
        return c

    messy: list[tuple[str, dict, str, str]] = []  # (kind, company, what is wrong, expected)
    specials: list[dict] = []

    def add_special(kind, c, what, expected):
        specials.append(c)
        messy.append((kind, c, what, expected))

    for name, dom, ind, cc in [
        ("Müller Logistik GmbH", "mueller-logistik.de", "LOGISTICS_AND_SUPPLY_CHAIN", "DE"),
        ("Société Lumière SAS", "societe-lumiere.fr", "MARKETING_AND_ADVERTISING", "FR"),
        ("Técnica Ibérica S.L.", "tecnicaiberica.es", "MECHANICAL_OR_INDUSTRIAL_ENGINEERING", "ES"),
        ("Nordisk Data AB", "nordiskdata.se", "INFORMATION_TECHNOLOGY_AND_SERVICES", "SE"),
        ("Construtora Paulista Ltda", "construtorapaulista.com.br", "CONSTRUCTION", "BR"),
        ("Zakłady Łódzkie Sp. z o.o.", "zaklady-lodzkie.pl", "TEXTILES", "PL"),
        ("さくらテクノロジー株式会社", "sakura-technology.co.jp", "COMPUTER_SOFTWARE", "JP"),
    ]:
        add_special("non_ascii", special(name, dom, ind, cc), f"non-ASCII company name {name!r}",
                    "read and written back unchanged (UTF-8); domain and scoring unaffected")
    add_special("competitor", special(
        "RivalCRM Inc.", "rivalcrm.com", "COMPUTER_SOFTWARE", "US", employees="420", employees_n=420,
        revenue="64000000", funding_stage="series_c", funding_total="120000000",
        technologies="aws;hubspot;salesforce;segment;slack;snowflake", website="https://www.rivalcrm.com"),
        "competitor domain rivalcrm.com (fits the ICP on every criterion)",
        "disqualified by the demo config: tier D with the disqualifier named, score still reported")
    add_special("competitor", special(
        "Rival Analytics", "rival-analytics.io", "INTERNET", "GB", employees="130", employees_n=130,
        revenue="18000000", funding_stage="series_b", funding_total="42000000",
        technologies="aws;google_analytics;segment;snowflake", website="https://rival-analytics.io"),
        "competitor domain rival-analytics.io (fits the ICP on every criterion)",
        "disqualified by the demo config: tier D with the disqualifier named, score still reported")
    for name, dom, ind, cc in [
        ('Hartley, Finch & "Partners" LLP', "hartleyfinch.co.uk", "LAW_PRACTICE", "GB"),
        ('"Blue Harbor" Consulting, Inc.', "blueharborconsulting.com", "MANAGEMENT_CONSULTING", "US"),
    ]:
        add_special("quotes", special(name, dom, ind, cc), f"name {name!r} contains a comma and double quotes (quoted field)",
                    "parsed as one field, name kept verbatim")
    for name, dom, ind, cc in [
        ("Northwind Traders\nLtd", "northwindtraders.co.uk", "WHOLESALE", "GB"),
        ("Kestrel Robotics Inc.\n(formerly Kestrel Automation)", "kestrelrobotics.com", "INDUSTRIAL_AUTOMATION", "US"),
    ]:
        add_special("newline", special(name, dom, ind, cc), f"line break inside the quoted name {name!r} (valid CSV, one record over two lines)",
                    "parsed as one record; later line numbers account for the extra physical line")
    add_special("formula", special('=HYPERLINK("http://x.example","Click here")', "clickhere-probe.com",
                                   "INTERNET", "US"),
                "name starts with '=' (spreadsheet formula injection probe): "
                "'=HYPERLINK(\"http://x.example\",\"Click here\")'",
                "kept as text; any CSV/report the engine writes must neutralise it (e.g. prefix ')")
    add_special("formula", special("@SUM(1+1) Ventures", "sum-ventures.com", "VENTURE_CAPITAL_PRIVATE_EQUITY", "US"),
                "name starts with '@' (formula injection probe): '@SUM(1+1) Ventures'",
                "kept as text; neutralised on any spreadsheet-bound output")

    # -- regular companies ---------------------------------------------------
    n_regular = N_COMPANIES - len(specials)
    companies: list[dict] = []
    natural = dict.fromkeys("ABCD", 0)
    while len(companies) < n_regular:
        c = comp.make()
        tier = demo_icp_tier(c)
        natural[tier] += 1
        if rng.random() < TIER_ACCEPT[tier]:
            companies.append(c)
    # put specials at random positions, but never before row 120 (so that the malformed row
    # placed at index 60 below has line number == index + 2)
    for c in specials:
        companies.insert(rng.randrange(120, len(companies)), c)

    def choose(k: int, cond=lambda c: True, lo: int = 120) -> list[dict]:
        """k regular companies (not special, not already messy) from index lo on."""
        out: list[dict] = []
        taken = {c["id"] for _, c, _, _ in messy}
        while len(out) < k:
            c = companies[rng.randrange(lo, len(companies))]
            if c["id"] in taken or c in specials or not cond(c):
                continue
            out.append(c)
            taken.add(c["id"])
        return out

    for c, txt in zip(choose(3), ["about 200", "n/a", "50-200"]):
        c["employees"] = txt
        messy.append(("employees_text", c, f"Number of Employees is {txt!r} (not an integer)",
                      "row quarantined (reason: employees not numeric); not scored"))
    for c, tmpl in zip(choose(3), ["https://www.{d}/about", "http://{d}/en/contact", "www.{d}/?utm_source=crm"]):
        c["website"] = tmpl.format(d=c["domain"])
        messy.append(("website_only", c, f"blank Company Domain Name; Website URL is {c['website']!r}",
                      f"domain derived from the website: {c['domain']}"))
        c["domain_real"], c["domain"] = c["domain"], ""
    for c in choose(4):
        messy.append(("blank_industry", c, f"blank Industry (was {c['industry']})",
                      "industry criterion reported as unknown in icp_reasons, not as a mismatch"))
        c["industry_true"], c["industry"] = c["industry"], ""
    for c, txt in zip(choose(4, lambda c: c["country"] == "US"), ["USA", "United States", "USA", "United States"]):
        c["country_text"] = txt
        messy.append(("country_name", c, f"Country/Region written as {txt!r}",
                      "normalised to ISO code US (country criterion then matches)"))

    # the malformed row: an unquoted comma in the name gives 17 fields instead of 16
    mal_name = "Barrett, Lowe Associates"
    mal = special(mal_name, "barrettlowe.com", "MANAGEMENT_CONSULTING", "US", malformed=True)
    companies[60] = mal  # replaces a regular company; early, before any multi-line record
    messy.append(("extra_field", mal, "one field too many (17): unquoted comma in the name "
                  f"'{mal_name}' shifts every later column",
                  "row quarantined with its line number; the rest of the file loads"))

    # -- contacts ------------------------------------------------------------
    kids = IdPool(rng)
    kids.used |= cids.used  # ids unique across both files as well
    con = Contacts(rng, kids)
    counts = []
    for c in companies:
        mean = 1.0 + 1.05 * math.log10(c["employees_n"] + 1)
        counts.append(max(1, min(15, 1 + int(rng.expovariate(1 / mean)))))
    while sum(counts) < N_CONTACTS:
        i = rng.randrange(len(counts))
        if counts[i] < 15:
            counts[i] += 1
    while sum(counts) > N_CONTACTS:
        i = rng.randrange(len(counts))
        if counts[i] > 1:
            counts[i] -= 1

    contacts: list[dict] = []
    for c, n in zip(companies, counts):
        country = c["country"]
        domain = c["domain"] or c.get("domain_real", "")
        pattern_bias = rng.choices(range(7), weights=[70, 12, 8, 4, 3, 3, 0])[0]
        cname = c["name"]
        if "\n" in cname or cname[:1] in "=@":
            cname = ""  # kept off contacts.csv, see README
        for _ in range(n):
            loc = pick(rng, COUNTRY_LOCALES[country])
            first, last = rng.choice(FIRST[loc]), rng.choice(LAST[loc])
            german = loc == "de"
            p_country = rng.random()
            k_country = country if p_country < 0.86 else "" if p_country < 0.93 else pick(rng, COUNTRY_WEIGHT)
            if rng.random() < 0.05:
                title = ""
            else:
                lang = "en"
                if loc == "fr" and country in ("FR", "CA", "CH") and rng.random() < 0.75:
                    lang = "fr"
                elif loc == "de" and country in ("DE", "CH") and rng.random() < 0.55:
                    lang = "de"
                elif loc == "es" and country in ("ES", "MX") and rng.random() < 0.7:
                    lang = "es"
                elif loc == "pt" and country == "BR" and rng.random() < 0.75:
                    lang = "pt"
                title = con.title(lang, c["group"])
                if lang == "en" and title.startswith(("Head of Sales", "Sales Director", "VP Sales", "Regional Sales")) \
                        and not title.endswith(("EMEA", "America")) and rng.random() < 0.2:
                    title += rng.choice(REGION_SUFFIX["en"])
            webmail = rng.random() < 0.06
            email = (con.webmail(first, last, country, german) if webmail else
                     con.corporate_email(first, last, domain, german, pattern_bias))
            k = {"id": kids.new(), "email": email, "first": first, "last": last, "title": title,
                 "company_id": c["id"], "company_name": cname if rng.random() < 0.97 else "",
                 "phone": "" if rng.random() < 0.35 else phone_for(rng, country),
                 "country": k_country, "lifecycle": contact_lifecycle(rng, c["lifecycle"]),
                 "updated": rand_ts(rng), "webmail": webmail, "company": c}
            # ~15 % of corporate-email contacts are not associated with their company
            if not webmail and c["domain"] and not c.get("malformed") and rng.random() < 0.16:
                k["company_id"] = ""
                if rng.random() < 0.3:
                    k["company_name"] = ""
            contacts.append(k)
    rng.shuffle(contacts)

    cmessy: list[tuple[str, dict, str, str]] = []
    taken: set[str] = set()

    def cpick(lo: int, cond) -> dict:
        while True:
            k = contacts[rng.randrange(lo, len(contacts))]
            if k["id"] not in taken and cond(k):
                taken.add(k["id"])
                return k

    # unlinkable: blank company id and webmail
    for _ in range(12):
        k = cpick(100, lambda k: k["webmail"] and k["company_id"])
        k["company_id"] = ""
        if rng.random() < 0.5:
            k["company_name"] = ""
        cmessy.append(("webmail_unlinked", k, f"blank Company ID and a webmail address ({k['email']})",
                       "cannot be linked to a company: no inherited icp_tier, email_type free webmail"))
    # role addresses
    for role in ["info", "sales", "contact", "hello", "info", "sales", "office", "marketing"]:
        k = cpick(100, lambda k, role=role: not k["webmail"] and k["company"]["domain"]
                  and not k["company"].get("malformed") and f"{role}@{k['company']['domain']}" not in con.emails)
        k["email"] = f"{role}@{k['company']['domain']}"
        con.emails.add(k["email"])
        k["first"] = k["last"] = k["title"] = ""
        cmessy.append(("role_address", k, f"role address {k['email']}, no name or title"
                       + ("; blank Company ID" if not k["company_id"] else ""),
                       "email_type role; linked to its company" + (" by email domain" if not k["company_id"] else "")
                       + "; seniority/persona null"))
    # all caps / all lowercase titles
    for fn, label in [(str.upper, "ALL CAPS"), (str.upper, "ALL CAPS"), (str.upper, "ALL CAPS"),
                      (str.lower, "all lowercase"), (str.lower, "all lowercase"), (str.lower, "all lowercase")]:
        k = cpick(100, lambda k: k["title"] and k["title"] != k["title"].upper() and not k["webmail"])
        k["title"] = fn(k["title"])
        cmessy.append(("title_case", k, f"job title in {label}: {k['title']!r}",
                       "classified exactly like the normally-cased title (case-insensitive)"))
    # quoted newline inside a job title
    for t, cc in [("Head of Sales\nEMEA", "GB"), ("Directeur Commercial\nFrance & Benelux", "FR")]:
        k = cpick(100, lambda k, cc=cc: k["title"] and not k["webmail"] and k["company"]["country"] == cc)
        k["title"] = t
        cmessy.append(("title_newline", k, f"line break inside the quoted job title {t!r}",
                       "parsed as one record; title whitespace normalised before classification"))
    # duplicate email: the same person entered twice
    per_company: dict[str, list[dict]] = {}
    for k in contacts[100:]:
        per_company.setdefault(k["company"]["id"], []).append(k)
    a = cpick(100, lambda k: k["title"] and not k["webmail"] and k["company_id"] and k["email"].count(".") >= 2
              and k["company"]["domain"] and len([x for x in per_company[k["company"]["id"]] if x["id"] not in taken]) >= 3)
    b = cpick(100, lambda k: k["company"] is a["company"] and k is not a)
    b["first"], b["last"], b["email"], b["webmail"] = a["first"], a["last"], a["email"], False
    b["company_id"] = ""
    cmessy.append(("duplicate_email", a, f"same email as contact {b['id']} ({a['email']})",
                   "both records kept (distinct ids); reported as a duplicate candidate, never merged silently"))
    cmessy.append(("duplicate_email", b, f"same email as contact {a['id']} ({a['email']}); blank Company ID",
                   "as above; linked to the same company by email domain"))
    # malformed: one field too few (no Phone Number column)
    mk = contacts[40]
    assert mk["id"] not in taken
    mk["malformed"] = True
    cmessy.append(("missing_field", mk, "one field too few (10): the Phone Number column is missing",
                   "row quarantined with its line number; the rest of the file loads"))
    return companies, contacts, messy, cmessy


def demo_icp_tier(c: dict) -> str:
    """Tier of a company under the demo config's ICP (weights 30/25/15/15/10/5; A>=80 B>=60 C>=40)."""
    emp = c["employees_n"] if c["employees"] else None
    rev = int(c["revenue"]) if c["revenue"] else None
    score = (30 * (c["industry"] in ICP_INDUSTRIES) + 25 * (emp is not None and 50 <= emp <= 5000)
             + 15 * (rev is not None and 5_000_000 <= rev <= 500_000_000) + 15 * (c["country"] in ICP_COUNTRIES)
             + 10 * any(t in ICP_TECH for t in c["technologies"].split(";")) + 5 * (c["funding_stage"] in ICP_STAGES))
    return "A" if score >= 80 else "B" if score >= 60 else "C" if score >= 40 else "D"


# ---------------------------------------------------------------------------
# reference.csv: a vendor export for the `reference` provider
# ---------------------------------------------------------------------------
# People Data Labs' free company dataset layout, plus employee_count (a column of PDL's paid
# company data: a band is not a head count).
REFERENCE_HEADER = ["id", "name", "website", "founded", "size", "locality", "region", "country",
                    "industry", "linkedin_url", "employee_count"]
REFERENCE_COVERAGE = 0.8  # share of the demo companies the file holds
REFERENCE_EXTRA = 150  # rows for companies that are not in the CRM
REFERENCE_DISAGREE = 0.10  # share of covered companies where the vendor differs from the CRM
REFERENCE_INDUSTRY_DISAGREE = 12  # of those, how many differ on industry (the rest on employees)
REFERENCE_GAPS = {"founded": 0.06, "linkedin_url": 0.03}  # values the vendor does not have
# Forms a vendor writes a website in, for rows whose key the engine must normalise.
REFERENCE_KEY_FORMS = ["www.{d}", "{D}", "https://{d}/", "http://www.{d}"]

# PDL's industry labels (lowercase), in the order of HUBSPOT_INDUSTRIES: the crosswalk of
# ../shared/taxonomies/hubspot_company_industry.tsv, embedded so that the script runs on a clean
# clone. Checked below: each label, upper-cased with '&' dropped and every other run of
# non-alphanumerics turned into '_', is its HubSpot value.
_PDL_INDUSTRY_LABELS = """
accounting; airlines/aviation; alternative dispute resolution; alternative medicine; animation;
apparel & fashion; architecture & planning; arts and crafts; automotive; aviation & aerospace;
banking; biotechnology; broadcast media; building materials; business supplies and equipment;
capital markets; chemicals; civic & social organization; civil engineering; commercial real estate;
computer & network security; computer games; computer hardware; computer networking; computer
software; construction; consumer electronics; consumer goods; consumer services; cosmetics; dairy;
defense & space; design; e-learning; education management; electrical/electronic manufacturing;
entertainment; environmental services; events services; executive office; facilities services;
farming; financial services; fine art; fishery; food & beverages; food production; fund-raising;
furniture; gambling & casinos; glass, ceramics, & concrete; government administration; government
relations; graphic design; health, wellness and fitness; higher education; hospital & health care;
hospitality; human resources; import and export; individual & family services; industrial
automation; information services; information technology and services; insurance; international
affairs; international trade and development; internet; investment banking; investment management;
judiciary; law enforcement; law practice; legal services; legislative office; leisure, travel, &
tourism; libraries; logistics and supply chain; luxury goods & jewelry; machinery; management
consulting; maritime; market research; marketing and advertising; mechanical or industrial
engineering; media production; medical devices; medical practice; mental health care; military;
mining & metals; motion pictures and film; museums and institutions; music; nanotechnology;
newspapers; non-profit organization management; oil & energy; online media; outsourcing/offshoring;
package/freight delivery; packaging and containers; paper & forest products; performing arts;
pharmaceuticals; philanthropy; photography; plastics; political organization; primary/secondary
education; printing; professional training & coaching; program development; public policy; public
relations and communications; public safety; publishing; railroad manufacture; ranching; real
estate; recreational facilities and services; religious institutions; renewables & environment;
research; restaurants; retail; security and investigations; semiconductors; shipbuilding; sporting
goods; sports; staffing and recruiting; supermarkets; telecommunications; textiles; think tanks;
tobacco; translation and localization; transportation/trucking/railroad; utilities; venture capital
& private equity; veterinary; warehousing; wholesale; wine and spirits; wireless; writing and
editing
"""
PDL_INDUSTRY = dict(zip(HUBSPOT_INDUSTRIES, (" ".join(x.split()) for x in _PDL_INDUSTRY_LABELS.split(";"))))
assert len(PDL_INDUSTRY) == 147 and all(
    "_".join("".join(ch if ch.isalnum() else " " for ch in v.upper().replace("&", "")).split()) == k
    for k, v in PDL_INDUSTRY.items())
# PDL's canonical country names (lowercase English) for the generator's countries.
PDL_COUNTRY = {
    "US": "united states", "GB": "united kingdom", "DE": "germany", "FR": "france", "CA": "canada",
    "ES": "spain", "NL": "netherlands", "SE": "sweden", "BR": "brazil", "IN": "india", "AU": "australia",
    "IE": "ireland", "CH": "switzerland", "IT": "italy", "MX": "mexico", "SG": "singapore", "PL": "poland",
    "DK": "denmark", "JP": "japan",
}
assert set(PDL_COUNTRY) == set(COUNTRY_WEIGHT)
# PDL company size buckets (upper bound, band)
PDL_SIZES = [(10, "1-10"), (50, "11-50"), (200, "51-200"), (500, "201-500"), (1000, "501-1000"),
             (5000, "1001-5000"), (10000, "5001-10000")]
# a different but related industry, for the vendor rows that disagree with the CRM on industry
RELATED_INDUSTRY = {
    "COMPUTER_SOFTWARE": ["INTERNET", "INFORMATION_TECHNOLOGY_AND_SERVICES"],
    "INTERNET": ["COMPUTER_SOFTWARE", "ONLINE_MEDIA"],
    "INFORMATION_TECHNOLOGY_AND_SERVICES": ["COMPUTER_SOFTWARE", "OUTSOURCING_OFFSHORING"],
    "FINANCIAL_SERVICES": ["BANKING", "INVESTMENT_MANAGEMENT"],
    "MARKETING_AND_ADVERTISING": ["PUBLIC_RELATIONS_AND_COMMUNICATIONS", "ONLINE_MEDIA"],
    "HOSPITAL_HEALTH_CARE": ["MEDICAL_PRACTICE", "HEALTH_WELLNESS_AND_FITNESS"],
    "RETAIL": ["CONSUMER_GOODS", "WHOLESALE"],
    "MANAGEMENT_CONSULTING": ["PROFESSIONAL_TRAINING_COACHING", "OUTSOURCING_OFFSHORING"],
    "REAL_ESTATE": ["COMMERCIAL_REAL_ESTATE", "CONSTRUCTION"],
    "STAFFING_AND_RECRUITING": ["HUMAN_RESOURCES"],
}
# CRM columns the reference file can fill: company key, CRM column label, reference column
REFERENCE_FILLS = [("industry", "Industry", "industry"), ("employees", "Number of Employees", "employee_count"),
                   ("founded", "Year Founded", "founded"), ("city", "City", "locality"),
                   ("state", "State/Region", "region")]
QUARANTINED_KINDS = ("employees_text", "extra_field")  # rows the engine quarantines on read


def pdl_size(n: int) -> str:
    return next((band for top, band in PDL_SIZES if n <= top), "10001+")


def pdl_id(rng: random.Random) -> str:
    """An opaque id in the style of PDL's current company ids (28 alphanumerics)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(rng.choice(alphabet) for _ in range(28))


def build_reference(companies: list[dict], messy: list, seed: int = SEED) -> dict:
    """The vendor file's rows and what the README says about them.

    Uses its own generator (``seed + 1``): the CRM files do not depend on it. Values are each
    company's true facts (before the CRM's blanks and messy edits), except the rows chosen to
    disagree with the CRM."""
    rng = random.Random(seed + 1)
    kind = {c["id"]: k for k, c, _, _ in messy}
    # every messy-row company is in the file, except the two formula probes (a vendor carries no
    # such names, and the file may well be opened in a spreadsheet)
    forced = [c for c in companies if c["id"] in kind and kind[c["id"]] != "formula"]
    pool = [c for c in companies if c["id"] not in kind]
    n_covered = round(REFERENCE_COVERAGE * len(companies))
    chosen = {c["id"] for c in forced} | {c["id"] for c in rng.sample(pool, n_covered - len(forced))}
    covered = [c for c in companies if c["id"] in chosen]

    def record(c: dict, domain: str) -> dict:
        return {"domain": domain, "website": domain, "name": " ".join(c["name"].split()),
                "founded": c["founded_true"], "locality": c["city_true"], "region": c["state_true"],
                "country": c["country"], "industry": c.get("industry_true") or c["industry"],
                "employees": c["employees_n"], "linkedin_url": "", "company": c}

    rows = [record(c, c["domain"] or c["domain_real"]) for c in covered]
    by_id = {r["company"]["id"]: r for r in rows}

    # -- disagreements: only where the CRM holds a value, so each one shows "kept" --------
    plain = [r for r in rows if r["company"]["id"] not in kind]
    ind_cands = [r for r in plain if r["company"]["industry"] in RELATED_INDUSTRY]
    disagree_industry = rng.sample(ind_cands, REFERENCE_INDUSTRY_DISAGREE)
    for r in disagree_industry:
        r["industry"] = rng.choice(RELATED_INDUSTRY[r["company"]["industry"]])
    taken = {id(r) for r in disagree_industry}
    n_emp = round(REFERENCE_DISAGREE * len(rows)) - REFERENCE_INDUSTRY_DISAGREE
    emp_cands = [r for r in plain if id(r) not in taken and r["company"]["employees"] and r["employees"] >= 7]
    disagree_employees = rng.sample(emp_cands, n_emp)
    for r in disagree_employees:
        n = r["employees"]
        delta = max(1, int(n * rng.uniform(0.02, 0.15)))  # >= 1 and <= 15 % since n >= 7
        r["employees"] = n + delta if rng.random() < 0.5 else n - delta
    taken |= {id(r) for r in disagree_employees}
    disagree_employees.sort(key=lambda r: companies.index(r["company"]))
    disagree_industry.sort(key=lambda r: companies.index(r["company"]))

    # -- companies that are not in the CRM -------------------------------------------------
    extra_ids = IdPool(rng)
    extra_ids.used |= {int(c["id"]) for c in companies}
    gen = Companies(rng, extra_ids)
    gen.domains |= {c["domain"] or c["domain_real"] for c in companies}
    for _ in range(REFERENCE_EXTRA):
        c = gen.make()
        c["extra"] = True
        rows.append(record(c, c["domain"]))

    # -- what a vendor does not know; ids and LinkedIn pages ------------------------------
    forced_ids = {c["id"] for c in forced}
    ids: set[str] = set()
    slugs: set[str] = set()
    for r in rows:
        keep = r["company"]["id"] in forced_ids
        if not keep and rng.random() < REFERENCE_GAPS["founded"]:
            r["founded"] = ""
        while True:
            r["id"] = pdl_id(rng)
            if r["id"] not in ids:
                ids.add(r["id"])
                break
        base = r["domain"].split(".")[0]
        s, n = base, 2
        while s in slugs:
            s, n = f"{base}-{n}", n + 1
        slugs.add(s)
        if keep or rng.random() >= REFERENCE_GAPS["linkedin_url"]:
            r["linkedin_url"] = f"linkedin.com/company/{s}"

    # -- a few keys written the way vendors write them: the engine normalises them ---------
    def fills(r: dict) -> list[str]:
        c = r["company"]
        return [label for key, label, col in REFERENCE_FILLS
                if not c[key] and (r["employees"] if col == "employee_count" else r[col])]

    key_cands = [r for r in rows if not r["company"].get("extra") and r["company"]["id"] not in kind
                 and id(r) not in taken and fills(r)]
    noncanonical = rng.sample(key_cands, len(REFERENCE_KEY_FORMS))
    for r, form in zip(noncanonical, REFERENCE_KEY_FORMS):
        d = r["domain"]
        first, _, rest = d.partition(".")
        r["website"] = form.format(d=d, D=f"{first.capitalize()}.{rest.upper()}")
    noncanonical.sort(key=lambda r: r["domain"])

    rows.sort(key=lambda r: r["domain"])
    assert len({r["domain"] for r in rows}) == len(rows), "a domain twice in reference.csv"
    return {"rows": rows, "covered": covered, "by_id": by_id, "kind": kind, "fills": fills,
            "disagree_industry": disagree_industry, "disagree_employees": disagree_employees,
            "noncanonical": noncanonical}


def reference_row(r: dict) -> list[str]:
    return [r["id"], r["name"], r["website"], r["founded"], pdl_size(r["employees"]), r["locality"],
            r["region"], PDL_COUNTRY[r["country"]], PDL_INDUSTRY[r["industry"]], r["linkedin_url"],
            str(r["employees"])]


def reference_csv(ref: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    w.writerow(REFERENCE_HEADER)
    w.writerows(reference_row(r) for r in ref["rows"])
    return buf.getvalue()


def company_row(c: dict) -> list[str]:
    row = [c["id"], c["name"], c["domain"], c["website"], c["industry"], c["employees"], c["revenue"],
           c.get("country_text", c["country"]), c["state"], c["city"], c["founded"], c["funding_total"],
           c["funding_stage"], c["technologies"], c["lifecycle"], fmt_ts(c["updated"])]
    if c.get("malformed"):
        a, b = c["name"].split(",", 1)
        row[1:2] = [a, b]
    return row


def contact_row(k: dict) -> list[str]:
    row = [k["id"], k["email"], k["first"], k["last"], k["title"], k["company_id"], k["company_name"],
           k["phone"], k["country"], k["lifecycle"], fmt_ts(k["updated"])]
    if k.get("malformed"):
        del row[7]
    return row


def write_csv(header: list[str], rows: list[list[str]], special_ids: set[str]) -> tuple[str, dict]:
    """CSV text (QUOTE_MINIMAL, \\r\\n) and, for each special row, (record row, physical start line).

    The record row counts records with the header as row 1; the physical line counts lines, so it
    runs ahead of the row after a record with a quoted line break."""
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    parts: list[str] = []
    lines: dict[str, tuple[int, int]] = {}
    line = 1
    for i, r in enumerate([header] + rows):
        buf.seek(0)
        buf.truncate()
        w.writerow(r)
        text = buf.getvalue()
        if i and r[0] in special_ids:
            lines[r[0]] = (i + 1, line)
        line += text.count("\n")
        parts.append(text)
    return "".join(parts), lines


def _md(s: str) -> str:
    """A table cell: newlines shown as \\n, pipes escaped."""
    return s.replace("\n", "\\n").replace("|", "\\|")


def readme_reference(companies: list[dict], ref: dict, size: int) -> list[str]:
    """The README section on reference.csv."""
    rows, covered, by_id, kind, fills = ref["rows"], ref["covered"], ref["by_id"], ref["kind"], ref["fills"]
    n_extra = sum(1 for r in rows if r["company"].get("extra"))
    n_gap = {k: sum(1 for r in rows if not r[k]) for k in REFERENCE_GAPS}
    read = [c for c in companies if kind.get(c["id"]) not in QUARANTINED_KINDS]
    L = []
    L.append("## Reference data (reference.csv)\n")
    L.append("`reference.csv` stands in for a firmographic file the user already has: a vendor export in the "
             "layout of People Data Labs' free company dataset (`id`, `name`, `website`, `founded`, `size`, "
             "`locality`, `region`, `country`, `industry`, `linkedin_url`) plus `employee_count`, a column of PDL's "
             "paid company data (a band is not a head count). The `reference` provider joins it to the CRM by "
             "domain, offline, and fills blanks only (policy `fill_missing`): a value a person entered is never "
             "overwritten. PDL's layout is the provider's default, so `path = \"core/demo/reference.csv\"` is all "
             "it needs.\n")
    L.append(f"- {len(rows):,} rows: {len(covered):,} of the {len(companies):,} demo companies "
             f"({100 * len(covered) / len(companies):.1f} %) and {n_extra} companies that are not in the CRM "
             "(other domains, as any real export has). UTF-8 without BOM, `\\n` line endings, minimal quoting, "
             "sorted by domain; no domain appears twice, also after normalisation.\n"
             "- The demo companies in it: every company of the messy rows above except the two formula probes "
             "(no vendor carries such names, and this file may well be opened in a spreadsheet); the rest is a "
             "random sample of the regular companies. The two competitors are in it (they stay tier D: the "
             "disqualifier does not depend on firmographics). So is the malformed row's company "
             "(`barrettlowe.com`): its CRM row is quarantined on read, so its reference row goes unused. The three "
             "website-only companies are keyed under their real domain, so they link only through the domain the "
             "engine derives from `Website URL`.\n"
             "- Values are each company's true facts (as generated before the CRM's cells were blanked or made "
             "messy), except the rows that disagree on purpose (below). `website` is the bare registrable domain "
             f"(except {len(ref['noncanonical'])} rows, below); `industry` is PDL's lowercase label of the HubSpot "
             "value (`computer software`, `information technology and services`; the crosswalk of "
             "`hubspot_company_industry.tsv`, embedded in the script); `country` is PDL's lowercase English name "
             "(`united states`, `united kingdom`, `germany`); `size` is PDL's band of `employee_count` (`1-10` … "
             "`10001+`); `id` is an opaque 28-character id; `linkedin_url` is `linkedin.com/company/<slug>`. "
             "Unlike PDL's own file, `name`, `locality` and `region` keep the CRM's display casing "
             "(`San Francisco`, `Québec`); the two names with a line break have a space instead.\n"
             f"- What the vendor does not know: `founded` is blank on {n_gap['founded']} rows and `linkedin_url` on "
             f"{n_gap['linkedin_url']} (never on a messy-row company); `region` is blank for Singapore (no region, "
             "as in the CRM). Every other cell is filled, and every value is readable.\n")
    L.append("### What it fills\n")
    L.append("Blank CRM cells among the companies the engine reads (the quarantined rows left out), how many of "
             "those companies the file holds, and how many of those blanks it fills (it cannot fill a `founded` "
             "it does not have, nor a region for Singapore):\n")
    L.append("| CRM column | reference column | blank in the CRM | company in reference.csv | filled |")
    L.append("|---|---|---|---|---|")
    for key, label, col in REFERENCE_FILLS:
        blank = [c for c in read if not c[key]]
        held = [c for c in blank if c["id"] in by_id]
        filled = [c for c in held if label in fills(by_id[c["id"]])]
        L.append(f"| {label} | {col} | {len(blank)} | {len(held)} | {len(filled)} |")
    L.append("")
    n_filled = sum(1 for c in read if c["id"] in by_id and fills(by_id[c["id"]]))
    L.append(f"{n_filled} companies get at least one value. `Country/Region` and `Company name` are never blank in "
             "the CRM, so nothing is filled there.\n")
    # tier mix once the blanks are filled (same ICP as above; the rows that disagree change nothing)
    tiers = dict.fromkeys("ABCD", 0)
    for c in read:
        r = by_id.get(c["id"])
        f = dict(c)
        if r is not None and not c["employees"]:
            f["employees"], f["employees_n"] = str(r["employees"]), r["employees"]
        if r is not None and not c["industry"]:
            f["industry"] = r["industry"]
        tiers["D" if c["domain"] in ("rivalcrm.com", "rival-analytics.io") else demo_icp_tier(f)] += 1
    n = sum(tiers.values())
    L.append("Of the demo ICP's criteria only industry and employees are filled from this file; with those fills "
             f"the {n:,} companies come out as "
             + ", ".join(f"{t} {v} ({100 * v / n:.1f} %)" for t, v in tiers.items()) + ".\n")
    L.append("### Messy-row companies\n")
    L.append("| Record ID | field | CRM value | reference value | expected |")
    L.append("|---|---|---|---|---|")
    for k, c, _what, _exp in [m for m in ref["messy"] if m[1]["id"] in by_id]:
        r = by_id[c["id"]]
        if k == "website_only":
            L.append(f"| {c['id']} | website (key) | {_md(c['website'])} | {r['website']} | "
                     "linked by the domain derived from `Website URL` |")
        for key, label, col in REFERENCE_FILLS:
            if label in fills(r) and k not in QUARANTINED_KINDS:
                v = reference_row(r)[REFERENCE_HEADER.index(col)]
                L.append(f"| {c['id']} | {label} | (blank) | {_md(v)} | filled |")
        if k == "country_name":
            L.append(f"| {c['id']} | Country/Region | {c['country_text']} | {PDL_COUNTRY[r['country']]} | "
                     "kept: both read as US, nothing to write |")
        if k == "employees_text":
            L.append(f"| {c['id']} | Number of Employees | {c['employees']} | {r['employees']} | "
                     "kept: the row is quarantined on read; a value a person entered is never overwritten |")
        if k == "extra_field":
            L.append(f"| {c['id']} | (whole row) | malformed | {r['website']} | "
                     "not used: the row is quarantined on read |")
    L.append("")
    L.append("The other messy-row companies in the file (non-ASCII names, quotes, line breaks, competitors) hold "
             "the same values as the CRM, except any blank listed here: nothing else to write.\n")
    L.append("### Rows that disagree with the CRM\n")
    de, di = ref["disagree_employees"], ref["disagree_industry"]
    up = sum(1 for r in de if r["employees"] > r["company"]["employees_n"])
    L.append(f"{len(de) + len(di)} rows ({100 * (len(de) + len(di)) / len(covered):.1f} % of the covered companies), "
             "all where the CRM holds a value, so each one shows a value a person entered being kept: "
             f"{len(de)} differ on `employee_count` by 1–15 % ({up} higher, {len(de) - up} lower than the CRM's "
             f"`Number of Employees`, with `size` the band of the vendor's count), and {len(di)} on industry, "
             "a related one:\n")
    L.append("| Record ID | field | CRM value | reference value | expected |")
    L.append("|---|---|---|---|---|")
    for r in di:
        c = r["company"]
        L.append(f"| {c['id']} | Industry | {c['industry']} | {PDL_INDUSTRY[r['industry']]} | kept |")
    L.append("")
    L.append("### Keys not written as a bare domain\n")
    L.append("These rows write `website` the way some exports do; the provider must normalise the file's keys "
             "like the CRM's to link them:\n")
    L.append("| website in reference.csv | domain | Record ID | fills |")
    L.append("|---|---|---|---|")
    for r in ref["noncanonical"]:
        L.append(f"| `{r['website']}` | {r['domain']} | {r['company']['id']} | {', '.join(fills(r))} |")
    L.append("")
    L.append(f"Size: reference.csv {size:,} bytes.\n")
    return L


def readme(companies, contacts, messy, cmessy, clines, klines, sizes, ref=None) -> str:
    n_unlinked = sum(1 for k in contacts if not k["company_id"])
    n_web = sum(1 for k in contacts if k["webmail"])
    L = []
    L.append("# Demo CRM\n")
    L.append("A synthetic HubSpot-style export used by the quick start, the docs and the tests: "
             f"{len(companies):,} companies (`companies.csv`) and {len(contacts):,} contacts (`contacts.csv`). "
             "Every name, domain, email and phone number is made up.\n")
    if ref is not None:
        L.append("`reference.csv` is a vendor-style firmographic file for most of the same companies, which the "
                 "`reference` provider joins by domain to fill blanks: see "
                 "[Reference data](#reference-data-referencecsv).\n")
    L.append("Regenerate (deterministic, byte-identical, standard library only):\n")
    L.append("```\npython scripts/make_demo.py\n```\n")
    L.append("Do not edit these files by hand; change `scripts/make_demo.py` and re-run it "
             "(it writes this README too).\n")
    L.append("## What it holds\n")
    L.append("- HubSpot column labels (mapped to canonical columns through config); HubSpot internal "
             "values for `Industry` (the 147-value list) and `Lifecycle Stage`; PDL-style `Funding Stage` "
             "(`seed`, `series_a` … `post_ipo_equity`); `Web Technologies` is a `;`-separated list.\n"
             "- Countries are ISO 3166 alpha-2 codes (US, GB, DE, FR, CA, ES, NL, SE, BR, IN, AU, …) with "
             "state/city consistent with the country; numbers are plain integers (USD); blanks are empty cells; "
             "`Last Modified Date` is `YYYY-MM-DD HH:MM:SS` UTC.\n"
             "- `companies.csv` is UTF-8 without BOM; `contacts.csv` is UTF-8 **with** a BOM (as Excel "
             "writes it). Both use `\\r\\n` line endings and minimal quoting.\n"
             f"- Contacts: 1–15 per company; {n_web} use free webmail; {n_unlinked} have a blank `Company ID` — "
             "almost all of them have a corporate email at their company's domain, which the engine uses to link "
             "them; the webmail ones among them cannot be linked. Job titles are in English, French, German, "
             "Spanish and Portuguese; about 5 % are blank.\n"
             "- Two companies are competitors of the demo vendor (`rivalcrm.com`, `rival-analytics.io`); the demo "
             "config disqualifies them.\n")
    tiers = dict.fromkeys("ABCD", 0)
    quarantined = {c["id"] for kind, c, _, _ in messy if kind in ("employees_text", "extra_field")}
    for c in companies:
        if c["id"] in quarantined:
            continue
        tiers["D" if c["domain"] in ("rivalcrm.com", "rival-analytics.io") else demo_icp_tier(c)] += 1
    n = sum(tiers.values())
    L.append("## ICP tiers\n")
    L.append("Scored with the demo ICP — industry in {COMPUTER_SOFTWARE, INTERNET, "
             "INFORMATION_TECHNOLOGY_AND_SERVICES, FINANCIAL_SERVICES, MARKETING_AND_ADVERTISING} (weight 30), "
             "employees 50–5000 (25), annual revenue 5M–500M USD (15), country in {US, CA, GB, DE, FR, NL, SE, ES} "
             "(15), technologies include any of {salesforce, hubspot, segment, snowflake} (10), funding stage in "
             "{series_a … series_d} (5); A ≥ 80, B ≥ 60, C ≥ 40, else D; the two competitors disqualified — the "
             f"{n:,} companies that are not quarantined come out as "
             + ", ".join(f"{t} {v} ({100 * v / n:.1f} %)" for t, v in tiers.items())
             + ". (The generator keeps this mix by rejection sampling against the same ICP; missing values count "
             "as not matched, `USA`/`United States` as US.)\n")
    L.append("## Deliberately messy rows\n")
    L.append("`row` is the record number with the header as row 1 (what the engine reports); `line` is the "
             "physical line in the file, which runs ahead of `row` after a record with a quoted line break.\n")
    L.append("### companies.csv\n")
    L.append("| Record ID | row | line | what is odd | expected |")
    L.append("|---|---|---|---|---|")
    for _kind, c, what, exp in messy:
        row, line = clines[c["id"]]
        L.append(f"| {c['id']} | {row} | {line} | {_md(what)} | {_md(exp)} |")
    L.append("")
    L.append("Contacts of the two companies with a line break in their name and of the two formula probes have a "
             "blank `Company Name` in contacts.csv (their `Company ID` is set). Contacts of the quarantined "
             "companies (non-numeric employees, the malformed row) still reference them by `Company ID`: the engine "
             "must tolerate references to quarantined companies.\n")
    L.append("### contacts.csv\n")
    L.append("| Record ID | row | line | what is odd | expected |")
    L.append("|---|---|---|---|---|")
    for _kind, k, what, exp in cmessy:
        row, line = klines[k["id"]]
        L.append(f"| {k['id']} | {row} | {line} | {_md(what)} | {_md(exp)} |")
    L.append("")
    L.append(f"Sizes: companies.csv {sizes[0]:,} bytes, contacts.csv {sizes[1]:,} bytes.\n")
    if ref is not None:
        L.extend(readme_reference(companies, ref, sizes[2]))
    return "\n".join(L)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: core/demo)")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    companies, contacts, messy, cmessy = build(args.seed)
    ctext, clines = write_csv(COMPANY_HEADER, [company_row(c) for c in companies], {c["id"] for _, c, _, _ in messy})
    ktext, klines = write_csv(CONTACT_HEADER, [contact_row(k) for k in contacts], {k["id"] for _, k, _, _ in cmessy})
    cbytes = ctext.encode("utf-8")
    kbytes = ktext.encode("utf-8-sig")
    ref = build_reference(companies, messy, args.seed)
    ref["messy"] = messy
    rbytes = reference_csv(ref).encode("utf-8")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "companies.csv").write_bytes(cbytes)
    (args.out / "contacts.csv").write_bytes(kbytes)
    (args.out / "reference.csv").write_bytes(rbytes)
    (args.out / "README.md").write_bytes(readme(companies, contacts, messy, cmessy, clines, klines,
                                                (len(cbytes), len(kbytes), len(rbytes)), ref).encode("utf-8"))
    print(f"wrote {args.out}/companies.csv ({len(companies)} rows, {len(cbytes):,} bytes), "
          f"contacts.csv ({len(contacts)} rows, {len(kbytes):,} bytes), "
          f"reference.csv ({len(ref['rows'])} rows, {len(rbytes):,} bytes), README.md")


if __name__ == "__main__":
    main()
