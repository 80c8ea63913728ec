"""crm-enrich benchmark: the job-title parser, against a join floor and a no-dedup baseline.

    pip install -e '.[bench]' && python benchmarks/titles.py [--repeat N] [--rows N]

1,000,000 contacts whose job_title column holds about 60,000 distinct titles in five
languages, drawn with a Zipf-like frequency (cached in benchmarks/.data/). In one process,
``--repeat`` rounds, each fresh, of three ways to add seniority, department and
title_reasons to the same Arrow batches of ``--batch-size`` rows:

  engine  the enricher: a new ``JobTitle`` instance, ``enrich()`` batch after batch (each
          distinct title is classified once per run, later batches only join);
  (a)     no de-duplication: the parser's own steps (normalise, match, decide) run on every
          row of every batch, each row its own key (deciding, as in the parser, once per
          distinct list of phrases found);
  (b)     the floor: the same batches left-joined to the labels of every title, computed
          once outside the timing: what ``enrich()`` costs when classifying is free.

Before the figures it checks that the engine's (and (a)'s) labels equal the floor's, row by
row. Target: engine / floor <= 2.00. Figures are ratios measured in the same run, medians
of the rounds, because these machines are noisy.
"""

from __future__ import annotations

import argparse
import bisect
import resource
import statistics
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from crm_enrich.plugins.job_title import JobTitle, Settings, TitleParser

HERE = Path(__file__).resolve().parent
OUTPUTS = ("seniority", "department", "title_reasons")
VERSION = 1  # of the generator: part of the cache folder's name

# ---------------------------------------------------------------------------
# The title population. A generative model (below) writes title drafts; the distinct
# drafts, in the order they first appear (common shapes first, oddities late), are the
# population ranked by frequency; rows then draw ranks from a Zipf-Mandelbrot law
# p(rank r) ~ 1 / (r + Q) ** S. The population's size is chosen so that 1,000,000 rows
# hold DISTINCT titles on average; --rows draws a smaller or larger sample of the same
# population (fewer or more distinct titles).
# ---------------------------------------------------------------------------
REFERENCE_ROWS = 1_000_000
DISTINCT = 60_000
S, Q = 1.1, 3.0
NULL_SHARE, BLANK_SHARE = 0.02, 0.01  # null, and empty or placeholder ("", "-", "n/a")
BLANKS = [("", 60), (" ", 6), ("-", 8), ("n/a", 6), ("N/A", 5), (".", 3), ("?", 2), ("unknown", 3),
          ("--", 2), ("x", 2), ("TBD", 1), ("none", 1), ("NA", 1)]


class Pick:
    """Weighted choice driven by a uniform in [0, 1): deterministic given the uniforms."""

    def __init__(self, items):
        if isinstance(items, str):  # "item|weight; item; ..." (weight 1 when omitted)
            pairs = []
            for cell in items.split(";"):
                cell = cell.strip()
                name, _, w = cell.rpartition("|") if "|" in cell else (cell, "", "1")
                pairs.append((name.strip(), float(w)))
            items = pairs
        self.items = [i for i, _ in items]
        self.cum = list(np.cumsum([w for _, w in items]))

    def __call__(self, u: float):
        return self.items[min(bisect.bisect_right(self.cum, u * self.cum[-1]), len(self.items) - 1)]


def fill(form: str, what: str) -> str:
    return form.replace("{}", what)


# --- English ---------------------------------------------------------------------------
# (weight, areas a leader runs, individual-contributor roles, specialisations before a role)
EN_FUNCTIONS = [
    (20, ("Engineering|5; Software Engineering|1.5; Platform Engineering; Infrastructure; R&D|0.8; "
         "Technology|1.5; DevOps|0.6; QA|0.5; Quality Engineering|0.3; Mobile|0.4; Architecture|0.4; "
         "Site Reliability|0.3; Software Development|0.8; Engineering & Technology|0.2"),
     ("Software Engineer|6; Software Developer|3; Developer|2; Engineer|1.5; Backend Engineer|1.5; "
     "Frontend Engineer|1.2; Full Stack Developer|1.5; Full-Stack Engineer|0.8; DevOps Engineer|1.2; "
     "Site Reliability Engineer|0.6; QA Engineer|0.8; Test Automation Engineer|0.4; Mobile Developer|0.5; "
     "iOS Developer|0.4; Android Developer|0.4; Solutions Architect|0.8; Software Architect|0.5; "
     "Embedded Software Engineer|0.3; Firmware Engineer|0.2; Web Developer|0.8; Programmer|0.3; "
     "Cloud Engineer|0.5; Platform Engineer|0.4"),
     ("Java; Python; Platform; Cloud; Infrastructure; Backend; Frontend; Web; Payments; API; Systems; "
     "Release; Build; Integration; Kubernetes; .NET; C++; Golang; React; Node.js; Salesforce; SAP; Game; "
     "Robotics; AI")),
    (7, ("Data|4; Analytics|2; Data Science|1.5; Business Intelligence|1; Data Engineering|1; "
        "Machine Learning|0.6; AI|0.5; Data & Analytics|0.8; Insights|0.4"),
     ("Data Analyst|4; Data Scientist|3; Data Engineer|3; Analytics Engineer|1; BI Analyst|1; "
     "Business Intelligence Analyst|0.8; Machine Learning Engineer|1; ML Engineer|0.5; Research Scientist|0.3; "
     "Statistician|0.2; Data Architect|0.3; Analyst|1"),
     ("Marketing; Product; Customer; Growth; Pricing; Risk; Fraud; Supply Chain; Clinical; Research; "
     "Quantitative; Reporting; Insights; Applied; NLP; Computer Vision")),
    (5, "Product|5; Product Management|2; Product Development|0.5; Product & Design|0.3",
     ("Product Manager|6; Product Owner|3; Technical Product Manager|1; Product Analyst|1; "
     "Product Specialist|0.5; Product Operations Manager|0.3"),
     ("Growth; Platform; Data; Mobile; Payments; Core; Consumer; B2B; API; AI; Search; Checkout; Billing; "
     "Integrations")),
    (3, "Design|4; UX|2; User Experience|1; Creative|1.5; Brand Design|0.5; Product Design|1",
     ("Designer|2; UX Designer|3; UI/UX Designer|1.5; Product Designer|2; Graphic Designer|2.5; UX Researcher|1; "
     "Visual Designer|0.8; Art Director|0.6; Web Designer|0.8; Motion Designer|0.3"),
     "Brand; Digital; Interaction; Service; Content; Web; Print; Mobile"),
    (12, ("Marketing|8; Digital Marketing|2; Growth|2; Brand|1.2; Communications|1.5; Product Marketing|1.5; "
         "Demand Generation|1.2; Content|1; Marketing Operations|0.6; Field Marketing|0.5; "
         "Performance Marketing|0.6; PR|0.4; Events|0.4; Social Media|0.6; Partner Marketing|0.3; "
         "Marketing & Communications|0.6; SEO|0.3"),
     ("Marketing Manager|5; Marketing Specialist|3; Marketing Coordinator|2.5; Marketing Executive|1.5; "
     "Marketing Associate|1; Content Writer|1; Copywriter|0.8; Social Media Manager|1; SEO Specialist|0.8; "
     "Communications Specialist|0.8; Brand Manager|1; Campaign Manager|0.6; Growth Marketer|0.5; "
     "Community Manager|0.6; PR Manager|0.4; Event Manager|0.5; Demand Generation Manager|0.6; "
     "Marketing Analyst|0.5"),
     ("Digital; Product; Content; Field; Performance; Email; Lifecycle; Partner; B2B; Global; Regional; "
     "Channel; Brand; Growth; Social")),
    (18, ("Sales|10; Business Development|3; Revenue|1; Partnerships|1; Channel|0.6; Enterprise Sales|1; "
         "Inside Sales|0.8; Sales Operations|0.6; Revenue Operations|0.6; Commercial|0.8; Key Accounts|0.5; "
         "New Business|0.4; Alliances|0.3; Sales & Marketing|0.8; Global Accounts|0.3"),
     ("Account Executive|7; Account Manager|6; Sales Representative|3; Sales Executive|2.5; "
     "Business Development Manager|3; Sales Development Representative|2.5; "
     "Business Development Representative|2; Sales Engineer|1; Solutions Consultant|1; Key Account Manager|2.5; "
     "Sales Consultant|1; Inside Sales Representative|1; Territory Manager|1; Sales Associate|1; "
     "Partner Manager|0.6; Channel Manager|0.5; Sales Specialist|0.8"),
     ("Enterprise; Mid-Market; SMB; Commercial; Strategic; Inside; Field; Channel; Public Sector; Named; "
     "Global; Regional; New Business; Outbound; Inbound; Major; Territory; Healthcare; Financial Services; "
     "National")),
    (6, ("Customer Success|5; Customer Support|2; Customer Service|2; Customer Experience|1.2; Support|1; "
        "Client Services|1; Professional Services|0.6; Implementation|0.5; Onboarding|0.4; Customer Care|0.5"),
     ("Customer Success Manager|5; Customer Success Associate|1; Support Specialist|1.5; "
     "Customer Support Specialist|2; Customer Service Representative|2; Support Engineer|1; "
     "Technical Support Engineer|1; Implementation Consultant|0.8; Onboarding Specialist|0.6; "
     "Client Success Manager|0.5; Customer Experience Specialist|0.4; Technical Account Manager|0.8; "
     "Help Desk Analyst|0.4"),
     "Enterprise; Technical; Strategic; Mid-Market; Global; Premium; Digital; Scaled; Renewals; Tier 1; Tier 2"),
    (8, ("Operations|6; Business Operations|1.5; Supply Chain|1; Logistics|1; Facilities|0.5; "
        "Strategy & Operations|0.6; Program Management|0.5; Project Management|0.6; Administration|0.6; "
        "Strategy|0.6; Transformation|0.3"),
     ("Operations Manager|4; Project Manager|4; Program Manager|2; Operations Analyst|1.5; "
     "Operations Coordinator|1; Office Manager|2; Business Analyst|2; Executive Assistant|2; "
     "Administrative Assistant|2; Office Administrator|1; Project Coordinator|1.2; Logistics Coordinator|0.6; "
     "Supply Chain Analyst|0.6; Facilities Manager|0.4; Scrum Master|0.5; Operations Specialist|0.6; "
     "Receptionist|0.5"),
     ("Revenue; Sales; Business; Supply Chain; Logistics; Warehouse; Fleet; Facilities; Production; Plant; "
     "Quality; Process; Strategy; Planning; IT; Technical")),
    (6, ("Finance|6; Accounting|1.5; FP&A|0.8; Financial Planning & Analysis|0.3; Treasury|0.3; Tax|0.4; "
        "Finance & Administration|0.4; Controlling|0.4; Audit|0.3; Finance & Operations|0.3"),
     ("Accountant|3; Financial Analyst|3; Controller|1.5; Finance Manager|2; Auditor|0.8; Bookkeeper|0.8; "
     "Accounts Payable Specialist|0.6; Payroll Specialist|0.6; Treasury Analyst|0.3; Financial Controller|0.8; "
     "Tax Manager|0.4; Finance Business Partner|0.3; Credit Analyst|0.3"),
     "Corporate; Group; Management; Revenue; Cost; Investment; Internal; Statutory; Project; Regional"),
    (5, ("HR|4; Human Resources|3; People|2; Talent|1.5; Talent Acquisition|1.5; People & Culture|0.8; "
        "People Operations|0.6; Recruiting|0.8; Learning & Development|0.4; Total Rewards|0.3; "
        "Compensation & Benefits|0.2"),
     ("Recruiter|4; HR Manager|3; HR Business Partner|2; Talent Acquisition Specialist|2; HR Generalist|1.5; "
     "People Partner|0.8; Sourcer|0.5; HR Coordinator|1; HR Specialist|1; Technical Recruiter|1; "
     "Talent Acquisition Partner|0.6; Payroll Administrator|0.5"),
     "Technical; Executive; Campus; Global; Regional"),
    (5, ("IT|6; Information Technology|2; Information Security|1; Cybersecurity|0.8; IT Infrastructure|0.8; "
        "IT Operations|0.6; Infrastructure|0.5; Technology|0.5; Digital|0.5; Security|0.6"),
     ("Systems Administrator|3; IT Manager|3; Network Engineer|2; IT Support Specialist|2; "
     "Help Desk Technician|1.5; IT Analyst|1.5; Security Analyst|1; Database Administrator|1; "
     "Network Administrator|1; IT Technician|1.5; Systems Engineer|1.5; Security Engineer|0.8; "
     "Information Security Analyst|0.6; IT Consultant|0.8"),
     ("Infrastructure; Cloud; Windows; Linux; End User; Identity; Cybersecurity; ERP; Microsoft 365; "
     "Service Desk; Enterprise; Workplace; SAP")),
    (1.5, ("Legal|5; Legal & Compliance|1; Compliance|1.5; Legal Affairs|0.5; Privacy|0.3; "
          "Risk & Compliance|0.5; Contracts|0.3"),
     ("Legal Counsel|3; Paralegal|2; Attorney|2; Compliance Officer|1.5; Contract Manager|1; "
     "Corporate Counsel|1; Lawyer|1; Legal Assistant|1; Compliance Analyst|0.6; Associate|1"),
     "Corporate; Commercial; Privacy; Employment; IP; Regulatory; Litigation; Product"),
    (1.5, "Procurement|5; Purchasing|3; Sourcing|1; Strategic Sourcing|0.5; Supply|0.3",
     ("Buyer|3; Procurement Specialist|2; Category Manager|1.5; Sourcing Manager|1; Purchasing Agent|1; "
     "Purchasing Manager|1.5; Procurement Manager|1.5; Purchasing Assistant|0.5"),
     "Strategic; Indirect; Direct; IT; Global; Technical; Packaging; Raw Materials"),
    (1.2, "Clinical|2; Nursing|2; Medical|1.5; Clinical Operations|1; Patient Care|0.5; Pharmacy|0.5",
     ("Registered Nurse|4; Physician|2; Nurse Practitioner|1.5; Pharmacist|1; Physical Therapist|1; "
     "Medical Assistant|1; Clinical Research Associate|0.6; Nurse|1.5; Doctor|0.8; Dentist|0.5"),
     "ICU; ER; Pediatric; Oncology; Surgical; Home Health; Cardiology; Primary Care"),
    (1.2, "Education|2; Learning|1; Curriculum|0.5; Academic Affairs|0.3; Training|1",
     ("Teacher|4; Lecturer|1.5; Professor|1.5; Instructor|1.5; Tutor|1; Trainer|1; Curriculum Developer|0.4; "
     "Teaching Assistant|0.8; Assistant Professor|0.6; Associate Professor|0.5"),
     "Math; Science; English; History; Computer Science; Online; Adjunct; Music"),
]
EN_FUNCTION = Pick([(i, w) for i, (w, *_) in enumerate(EN_FUNCTIONS)])
EN_AREA = [Pick(f[1]) for f in EN_FUNCTIONS]
EN_ROLE = [Pick(f[2]) for f in EN_FUNCTIONS]
EN_SPEC = [Pick(f[3]) for f in EN_FUNCTIONS]
EN_LEVEL = Pick("|55; Senior|16; Sr.|5; Sr|2; Snr|0.5; Lead|4; Principal|2; Staff|1.5; Junior|4; Jr.|1; Jr|0.5; "
                "Associate|3; Senior Staff|0.5; Graduate|0.8; Trainee|0.3")
EN_LEAD = Pick(
    "Head of {}|14; Director of {}|7; {} Director|8; Director, {}|3; Senior Director, {}|1.5; "
    "Senior Director of {}|0.5; VP of {}|4; VP {}|5; VP, {}|1.5; Vice President of {}|1.5; "
    "Vice President, {}|1; SVP {}|0.6; SVP, {}|0.4; EVP {}|0.3; Global Head of {}|1.2; "
    "Associate Director, {}|1; Associate Director of {}|0.4; {} Manager|22; Senior {} Manager|6; "
    "Manager, {}|2.5; Manager of {}|0.6; {} Team Lead|4; {} Team Leader|1.5; {} Lead|4; Team Lead, {}|0.8; "
    "Associate {} Manager|1.5; {} Supervisor|1.5; Group {} Manager|0.5; Regional {} Manager|1.2; "
    "Interim Head of {}|0.3; Deputy Head of {}|0.3; Chief {} Officer|0.6; {} Intern|2.5; {} Trainee|0.4; "
    "{} Apprentice|0.2; Working Student, {}|0.2; Graduate {} Trainee|0.3; {} Coordinator|2; {} Specialist|2; "
    "{} Consultant|1.5; {} Analyst|1.5; {} Associate|1; {} Executive|0.8; Assistant {} Manager|0.8; "
    "{} Administrator|0.4; Assistant Vice President, {}|0.3; AVP {}|0.2; {} Officer|0.4")
EN_EXEC = Pick(
    "CEO|12; Founder|5; Co-Founder|5; Co-founder|2; Cofounder|0.5; Founder & CEO|6; Owner|8; President|6; "
    "Managing Director|5; Chief Executive Officer|4; COO|2; CFO|3; CTO|4; CMO|1.5; CIO|1.5; CRO|0.6; CISO|0.5; "
    "CHRO|0.3; CPO|0.4; CDO|0.3; Chief Operating Officer|1.2; Chief Financial Officer|1.5; "
    "Chief Technology Officer|1.5; Chief Marketing Officer|0.8; Chief Revenue Officer|0.5; "
    "Chief Information Officer|0.6; Chief People Officer|0.3; Chief Product Officer|0.4; Chief Data Officer|0.2; "
    "Chief Information Security Officer|0.3; Chief Commercial Officer|0.3; Chief of Staff|0.8; "
    "General Manager|3; General Counsel|0.8; Partner|3; Managing Partner|1.5; Senior Partner|0.5; "
    "Principal|1; Proprietor|0.4; Business Owner|0.8; Co-Owner|0.6; Chairman|0.6; Chair|0.3; Board Member|0.5; "
    "Executive Director|1.5; Vice Chair|0.2; President & CEO|1.5; Executive Vice President|0.4; "
    "Senior Vice President|0.3; Vice President|1.5; VP|0.5; Director|2; Manager|0.5; Consultant|2; "
    "Self-Employed|0.5; Freelancer|0.5; Independent Consultant|0.5; Entrepreneur|0.5; Retired|0.3; "
    "Student|0.5; Volunteer|0.1; C.E.O.|0.1; Owner/Operator|0.4")
EN_FIRST_ROLE = Pick("Founder|5; Co-Founder|5; Co-founder|1.5; Owner|3; CEO|3; President|1.5; Partner|1; "
                     "Managing Director|1; Chairman|0.5; Founding Partner|0.3; Director|0.5")
ROLE_SEP = Pick([(" & ", 5), (" / ", 2), ("/", 1.5), (", ", 2), (" and ", 1), (" | ", 0.8), (" - ", 1),
                 (" + ", 0.2), ("&", 0.3)])
EN_REGION = Pick(
    "EMEA|5; APAC|3; North America|3; DACH|2; UK&I|1; UK|2; US|2; USA|0.5; Americas|1; LATAM|1; Nordics|1; "
    "Benelux|0.8; France|0.8; Germany|0.8; Iberia|0.5; Europe|1.5; Global|1; International|0.5; Northeast|0.5; "
    "West Coast|0.4; East Coast|0.3; Southeast|0.3; Midwest|0.3; Central Europe|0.3; Middle East|0.4; "
    "MENA|0.3; India|0.5; ANZ|0.4; Asia Pacific|0.4; Canada|0.4; Public Sector|0.4; Enterprise|0.5; SMB|0.3; "
    "Mid-Market|0.3; Remote|1; Contract|0.5; Part-time|0.4; Interim|0.3; Maternity Cover|0.2; Freelance|0.3; "
    "II|1; III|0.6; I|0.3; IV|0.1; L5|0.1")
QUAL_SEP = Pick([(", ", 5), (" - ", 4), (" – ", 1), (" | ", 1), (" (", 2), (" ", 2), (" / ", 0.5)])
EN_ABBREV = [  # applied to a share of English titles, each phrase with probability 0.7
    ("Vice President", ["VP", "V.P.", "Vice-President"]), ("Human Resources", ["HR"]),
    ("Information Technology", ["IT"]), ("Business Development", ["BD", "Biz Dev", "BizDev"]),
    ("Customer Success", ["CS"]), ("Senior", ["Sr.", "Sr", "Snr", "Snr."]), ("Junior", ["Jr.", "Jr", "Jnr"]),
    ("Manager", ["Mgr", "Mgr."]), ("Director", ["Dir.", "Dir"]), ("Engineering", ["Eng", "Eng.", "Engg"]),
    ("Engineer", ["Eng.", "Engr"]), ("Marketing", ["Mktg", "Mkt"]), ("Development", ["Dev", "Dev."]),
    ("Developer", ["Dev"]), ("Operations", ["Ops"]), ("Account", ["Acct", "Acct."]), ("Executive", ["Exec", "Exec."]),
    ("Representative", ["Rep", "Rep."]), ("Administrator", ["Admin"]), ("Administrative", ["Admin"]),
    ("Associate", ["Assoc.", "Assoc"]), ("Assistant", ["Asst.", "Asst"]), ("International", ["Intl", "Int'l"]),
    ("Technology", ["Tech"]), ("Technical", ["Tech"]), ("Management", ["Mgmt", "Mgt"]), (" and ", [" & "]),
    ("Head of", ["Head"]), ("Director of", ["Director"]),
]

# --- French ------------------------------------------------------------------------------
FR_AREA = Pick(  # after Directeur, Responsable, ... (bare or with its article)
    "Commercial|8; Marketing|6; des Ventes|3; Financier|3; Administratif et Financier|1.5; "
    "des Ressources Humaines|3; RH|1.5; des Systèmes d'Information|1.5; Informatique|1.5; Technique|2; "
    "des Opérations|1.5; Juridique|1; des Achats|1.5; Achats|1; de la Communication|1; Communication|1.5; "
    "Produit|1; Grands Comptes|1; Export|0.8; Digital|1; Marketing Digital|1; Data|0.6; R&D|0.6; "
    "Supply Chain|0.8; Logistique|1; Qualité|0.8; Innovation|0.4; Partenariats|0.4; Service Client|0.8; "
    "Relation Client|0.6; de la Relation Client|0.4; Comptable|0.6; Support|0.4; Régional|0.6; "
    "Commercial France|0.5; Commercial Export|0.4; d'Agence|0.8; de Site|0.4; de Magasin|0.5; de Secteur|0.4; "
    "de Production|0.8; Industriel|0.4; Travaux|0.3; de Clientèle|0.3; Développement|0.6; "
    "du Développement Commercial|0.3")
FR_LEAD = Pick("Directeur {}|8; Directrice {}|4; Responsable {}|10; Directeur Adjoint {}|0.6; "
               "Responsable Adjoint {}|0.3; Head of {}|0.8; Manager {}|1; VP {}|0.4; Chef de Projet {}|2; "
               "Cheffe de Projet {}|0.4; Chef de Service {}|0.3; Stagiaire {}|1.5; Alternant {}|0.8; "
               "Alternante {}|0.6; Assistant {}|0.8; Assistante {}|1.5; Consultant {}|1; Consultante {}|0.5; "
               "Chargé d'Affaires {}|0.3; Directeur {} Adjoint|0.2")
FR_ROLE = Pick(
    "Ingénieur Logiciel|3; Ingénieur d'Affaires|1.5; Ingénieur Commercial|2; Ingénieure Commerciale|0.5; "
    "Développeur Full Stack|2; Développeuse Web|0.6; Développeur Web|1.5; Développeur Back-End|0.8; "
    "Développeur Front-End|0.8; Chef de Projet|3; Cheffe de Projet|0.8; Chef de Produit|1.5; Comptable|2; "
    "Contrôleur de Gestion|1.2; Contrôleuse de Gestion|0.4; Acheteur|1; Acheteuse|0.5; Juriste|0.8; "
    "Avocat|0.6; Avocate|0.4; Technicien Support|0.6; Technicien|0.6; Commercial Sédentaire|0.5; "
    "Commercial|1.5; Commerciale|0.8; Business Developer|1.5; Data Analyst|0.8; Data Scientist|0.6; "
    "Chargé de Recrutement|0.8; Chargée de Recrutement|0.8; Chargée de Communication|1; "
    "Chargé de Communication|0.6; Chargé de Mission|0.8; Chargée de Mission|0.6; Chargé de Clientèle|0.6; "
    "Chargée de Clientèle|0.6; Assistante de Direction|1.2; Assistante Commerciale|0.8; Office Manager|0.6; "
    "Product Owner|0.6; Scrum Master|0.3; Architecte Logiciel|0.3; Administrateur Systèmes et Réseaux|0.5; "
    "Infirmière|0.4; Médecin|0.3; Enseignant|0.3; Professeur|0.3; Technico-Commercial|0.6; "
    "Key Account Manager|0.8; Consultant|1.5; Consultante|0.8; Gestionnaire de Paie|0.4; Analyste|0.5; "
    "Ingénieur Études et Développement|0.4; Conseiller Clientèle|0.6; Conseillère Clientèle|0.6")
FR_LEVEL = Pick("Senior|3; Junior|2; Confirmé|1; Confirmée|0.4; Expérimenté|0.3; Sr|0.3")
FR_EXEC = Pick(
    "PDG|5; Président|3; Présidente|1; Directeur Général|6; Directrice Générale|2; DG|2; Fondateur|3; "
    "Fondatrice|1; Co-fondateur|2; Cofondateur|1; Co-fondatrice|0.5; Gérant|3; Gérante|1; Associé|1.5; "
    "Associée|0.5; Associé Fondateur|0.5; Président Directeur Général|0.8; Président-Directeur Général|0.3; "
    "Directeur Général Délégué|0.5; Directeur Général Adjoint|0.5; DAF|1.5; DSI|1; DRH|1; CEO|3; CTO|1; "
    "CFO|0.5; Fondateur & CEO|0.5; Fondateur et Président|0.3; Propriétaire|0.5; Dirigeant|1; "
    "Chef d'Entreprise|1; Entrepreneur|0.3; Consultant Indépendant|0.5; Expert-Comptable|0.5; "
    "Avocat Associé|0.3; Secrétaire Général|0.3")
FR_REGION = Pick("H/F|2; F/H|1; (H/F)|1.5; France|3; Île-de-France|1; IDF|0.8; Sud-Est|0.5; Grand Ouest|0.5; "
                 "EMEA|1; Europe|0.5; Grands Comptes|0.6; Paris|0.6; Lyon|0.4; Nord|0.3")

# --- German ------------------------------------------------------------------------------
# (prefix in a compound, the noun on its own, weight): "Vertriebsleiter", "Leiter Vertrieb"
DE_AREAS = [("Vertriebs", "Vertrieb", 8), ("Marketing", "Marketing", 5), ("Personal", "Personal", 3),
            ("Einkaufs", "Einkauf", 3), ("Finanz", "Finanzen", 2), ("IT-", "IT", 4),
            ("Produkt", "Produktmanagement", 1.5), ("Projekt", "Projekte", 3),
            ("Kundenservice", "Kundenservice", 1.5), ("Verkaufs", "Verkauf", 2), ("Logistik", "Logistik", 1.5),
            ("Produktions", "Produktion", 1.5), ("Qualitäts", "Qualitätsmanagement", 1),
            ("Entwicklungs", "Entwicklung", 1.5), ("Controlling-", "Controlling", 1),
            ("Buchhaltungs", "Buchhaltung", 0.8), ("Kommunikations", "Kommunikation", 1),
            ("Technik", "Technik", 1), ("Rechts", "Recht", 0.4), ("Lager", "Lager", 0.8),
            ("Betriebs", "Betrieb", 0.6), ("Werks", "Werk", 0.5), ("Export", "Export", 0.5),
            ("Innendienst", "Innendienst", 0.6), ("Außendienst", "Außendienst", 0.6),
            ("Niederlassungs", "Niederlassung", 0.5), ("Filial", "Filiale", 0.5), ("Service", "Service", 0.8),
            ("Vertriebsinnendienst", "Vertriebsinnendienst", 0.3), ("Marketing-", "Online-Marketing", 0.4)]
DE_AREA = Pick([(i, w) for i, (_, _, w) in enumerate(DE_AREAS)])
DE_LEAD = Pick("{c}leiter|8; {c}leiterin|3; Leiter {n}|6; Leiterin {n}|2.5; Leitung {n}|1.5; Head of {n}|2; "
               "Teamleiter {n}|2.5; Teamleiterin {n}|1; Abteilungsleiter {n}|2; Abteilungsleiterin {n}|0.6; "
               "Bereichsleiter {n}|1.5; Bereichsleiterin {n}|0.4; Gruppenleiter {n}|0.6; Direktor {n}|0.3; "
               "{c}manager|1.5; {c}managerin|0.5; {c}direktor|0.3; Manager {n}|0.5; Senior Manager {n}|0.3; "
               "Director {n}|0.3; {c}koordinator|0.4; Stellvertretender {c}leiter|0.6; "
               "Stellv. {c}leiter|0.2; Stellvertretende {c}leiterin|0.2; Leiter {n} und {n2}|0.5")
DE_IC = Pick("{c}mitarbeiter|3; {c}mitarbeiterin|2; {c}referent|2; {c}referentin|2; {c}berater|1.5; "
             "{c}beraterin|0.8; {c}spezialist|1; {c}spezialistin|0.5; {c}sachbearbeiter|1.5; "
             "{c}sachbearbeiterin|1.5; {c}assistent|0.5; {c}assistentin|1; {c}koordinator|0.5; "
             "{c}koordinatorin|0.5; {c}kaufmann|0.3; {c}kauffrau|0.3; Referent {n}|0.8; Referentin {n}|0.8; "
             "Mitarbeiter {n}|1; Sachbearbeiter {n}|0.8; Werkstudent {n}|1; Werkstudentin {n}|0.8; "
             "Praktikant {n}|0.8; Praktikantin {n}|0.8; Trainee {n}|0.3; Junior {c}referent|0.4; "
             "Senior {c}berater|0.4; Specialist {n}|0.3; Auszubildender {n}|0.3")
DE_ROLE = Pick(
    "Softwareentwickler|4; Softwareentwicklerin|1; Software-Entwickler|1.5; Software Entwickler|0.5; "
    "Anwendungsentwickler|1; Fachinformatiker|1; Fachinformatiker für Anwendungsentwicklung|0.5; "
    "Fachinformatiker Systemintegration|0.4; Systemadministrator|1.5; Netzwerkadministrator|0.5; "
    "Informatiker|0.5; Wirtschaftsinformatiker|0.3; Datenanalyst|0.6; Data Scientist|0.6; Ingenieur|0.8; "
    "Maschinenbauingenieur|0.5; Konstrukteur|0.5; Techniker|0.5; Buchhalter|1; Buchhalterin|1; "
    "Bilanzbuchhalter|0.5; Steuerberater|0.5; Controller|1; Controllerin|0.4; Einkäufer|1; Einkäuferin|0.5; "
    "Key Account Manager|2; Account Manager|1; Kundenberater|1; Kundenberaterin|0.6; Verkäufer|0.6; "
    "Verkäuferin|0.6; Industriekaufmann|0.6; Industriekauffrau|0.6; Bürokauffrau|0.6; "
    "Kaufmann im Groß- und Außenhandel|0.3; Assistenz der Geschäftsführung|1; "
    "Assistentin der Geschäftsführung|0.6; Office Manager|0.6; Projektmanager|1; Produktmanager|1; "
    "Produktmanagerin|0.5; Rechtsanwalt|0.5; Rechtsanwältin|0.3; Justiziar|0.3; Syndikusrechtsanwalt|0.2; "
    "Arzt|0.3; Ärztin|0.3; Krankenschwester|0.3; Lehrer|0.3; Lehrerin|0.3; Berater|0.5; "
    "Unternehmensberater|0.5; Consultant|1; Senior Consultant|0.8; Sales Manager|1; Marketing Manager|1; "
    "Auszubildender|0.5; Auszubildende|0.4; Praktikant|0.5; Werkstudent|0.4")
DE_EXEC = Pick(
    "Geschäftsführer|10; Geschäftsführerin|3; Geschäftsführender Gesellschafter|2; "
    "Geschäftsführende Gesellschafterin|0.4; Gesellschafter|0.8; Inhaber|5; Inhaberin|2; Gründer|2; "
    "Gründerin|0.6; Mitgründer|1; Co-Founder|1; Gründer & Geschäftsführer|1; Gründer und Geschäftsführer|0.5; "
    "Inhaber & Geschäftsführer|0.6; Vorstand|1.5; Vorstandsvorsitzender|0.6; Mitglied des Vorstands|0.4; "
    "Prokurist|1; Prokuristin|0.3; CEO|3; CTO|1; CFO|0.8; Managing Director|1; Geschäftsleitung|0.8; "
    "Mitglied der Geschäftsleitung|0.4; Niederlassungsleiter|0.5; Betriebsleiter|0.5; Werkleiter|0.3; "
    "Selbstständig|0.5; Freiberufler|0.4; Geschäftsinhaber|0.4; Kaufmännischer Leiter|0.8; "
    "Technischer Leiter|0.8; Kaufmännische Leiterin|0.3; Technischer Geschäftsführer|0.3")
DE_LEVEL = Pick("Senior|4; Junior|3; Sr.|0.5; Lead|0.3")
DE_REGION = Pick("(m/w/d)|3; (w/m/d)|1; (m/f/d)|0.8; (m/w)|0.5; m/w/d|0.3; DACH|1.5; Region Süd|0.5; "
                 "Region Nord|0.4; West|0.3; Deutschland|0.8; Schweiz|0.4; Österreich|0.4; EMEA|0.6; "
                 "Bayern|0.3; NRW|0.3")

# --- Spanish and Portuguese ---------------------------------------------------------------
ES_AREA = Pick(
    "Ventas|6; Marketing|5; Finanzas|2; Recursos Humanos|2.5; RRHH|1; Operaciones|2; Tecnología|2; Sistemas|2; "
    "Compras|1.5; Proyectos|2; Producto|1; Atención al Cliente|1; Datos|0.8; Comunicación|1; Logística|1; "
    "Administración|1.5; Calidad|0.8; Desarrollo de Negocio|1; Cuentas Clave|0.6; Innovación|0.5; "
    "Seguridad|0.4; Infraestructura|0.4; Contabilidad|0.8; Legal|0.5; Expansión|0.4; Ingeniería|0.8; "
    "Producción|0.8; Mantenimiento|0.6; Exportación|0.4; Zona|0.3; Tienda|0.4; Oficina|0.4; TI|0.3; "
    "Marketing Digital|0.8; Transformación Digital|0.3; Grandes Cuentas|0.4")
ES_LEAD = Pick("Director de {}|6; Directora de {}|2.5; Jefe de {}|4; Jefa de {}|1.5; Gerente de {}|4; "
               "Responsable de {}|5; Coordinador de {}|2; Coordinadora de {}|2; Subdirector de {}|0.5; "
               "Supervisor de {}|0.8; Encargado de {}|0.6; Líder de {}|0.5; Manager de {}|0.3; "
               "Director Adjunto de {}|0.3; Head of {}|0.3; Analista de {}|2; Técnico de {}|2; "
               "Técnica de {}|1.5; Especialista en {}|1; Consultor de {}|0.8; Consultora de {}|0.5; "
               "Asistente de {}|0.6; Becario de {}|0.5; Becaria de {}|0.5; Auxiliar de {}|0.5; "
               "Ejecutivo de {}|0.3")
ES_ROLE = Pick(
    "Ingeniero de Software|2; Ingeniera de Software|0.6; Desarrollador Full Stack|1.5; Desarrolladora Backend|0.4; "
    "Desarrollador Web|1; Programador|1; Analista Programador|0.8; Ejecutivo de Cuentas|1.5; "
    "Ejecutiva de Cuentas|0.6; Comercial|2; Asesor Comercial|1; Asesora Comercial|0.6; Contable|0.8; "
    "Administrativo|1.5; Administrativa|1.5; Abogado|0.8; Abogada|0.6; Asistente de Dirección|0.8; "
    "Científico de Datos|0.4; Enfermera|0.4; Médico|0.4; Profesor|0.4; Maestro|0.3; Vendedor|0.8; "
    "Dependienta|0.3; Recepcionista|0.4; Diseñador Gráfico|0.5; Consultor|1; Consultora|0.6; "
    "Key Account Manager|0.6; Product Manager|0.4; Técnico Comercial|0.6; Delegado Comercial|0.5")
ES_EXEC = Pick(
    "Director General|6; Directora General|2; CEO|5; Fundador|3; Fundadora|1; Cofundador|2; Co-fundador|0.8; "
    "Cofundadora|0.6; Consejero Delegado|1.5; Consejera Delegada|0.4; Gerente General|3; Gerente|2; "
    "Presidente|2; Presidenta|0.5; Socio|1.5; Socia|0.5; Socio Director|0.6; Socio Fundador|0.6; Dueño|1; "
    "Dueña|0.4; Propietario|1; Propietaria|0.4; Administrador Único|0.3; Autónomo|0.4; Director Ejecutivo|0.8; "
    "Fundador y CEO|0.6; CTO|1; CFO|0.5; Director Comercial|4; Directora Comercial|1.5; Director Financiero|2; "
    "Directora Financiera|1; Director Técnico|1.5; Directora Técnica|0.5; Director Regional|0.5")
ES_LEVEL = Pick("Senior|3; Junior|3; Sr.|0.5; Jr.|0.5; Sr|0.3")
ES_REGION = Pick("España|2; LATAM|2; Latinoamérica|1; México|1.5; Iberia|1; Cono Sur|0.3; Zona Norte|0.5; "
                 "Zona Centro|0.5; Cataluña|0.4; Madrid|0.6; Barcelona|0.5; Andalucía|0.3; Colombia|0.5; "
                 "Chile|0.5; Argentina|0.4; Perú|0.3")
PT_AREA = Pick(
    "Vendas|5; Marketing|5; Finanças|1.5; Recursos Humanos|2; RH|2; Operações|1.5; Tecnologia|1.5; TI|2.5; "
    "Compras|1.5; Projetos|2; Produto|1; Sucesso do Cliente|0.8; Dados|1; Comunicação|1; Logística|1.2; "
    "Controladoria|0.6; Contabilidade|0.8; Novos Negócios|0.8; Inovação|0.4; Infraestrutura|0.6; "
    "Qualidade|0.8; Atendimento|0.8; Suprimentos|0.6; Engenharia|0.8; Sistemas|1; Negócios|0.5; Contas|0.5; "
    "Trade Marketing|0.4; Marketing Digital|0.6; Planejamento|0.5; Produção|0.5; Manutenção|0.4")
PT_LEAD = Pick("Diretor de {}|4; Diretora de {}|2; Gerente de {}|6; Coordenador de {}|4; Coordenadora de {}|3; "
               "Supervisor de {}|1.5; Supervisora de {}|1; Head de {}|1; Líder de {}|0.6; Gestor de {}|0.8; "
               "Gestora de {}|0.5; Superintendente de {}|0.2; Gerente Executivo de {}|0.3; "
               "Gerente Sênior de {}|0.3; Analista de {}|6; Especialista em {}|1.5; Consultor de {}|1; "
               "Consultora de {}|0.6; Assistente de {}|1; Auxiliar de {}|0.8; Estagiário de {}|1; "
               "Estagiária de {}|1; Técnico de {}|0.6")
PT_ROLE = Pick(
    "Engenheiro de Software|2; Engenheira de Software|0.6; Desenvolvedor|2; Desenvolvedora|0.6; "
    "Desenvolvedor Full Stack|1.5; Desenvolvedor Front-end|1; Desenvolvedor Back-end|1; Programador|1; "
    "Executivo de Contas|1.5; Executiva de Contas|0.6; Vendedor|1.5; Vendedora|0.8; Representante Comercial|1.5; "
    "Consultor Comercial|1; Consultora Comercial|0.6; Assistente Administrativo|2; Auxiliar Administrativo|1.5; "
    "Advogado|1; Advogada|0.8; Contador|1; Contadora|0.6; Cientista de Dados|0.8; Engenheiro de Dados|0.6; "
    "Enfermeira|0.4; Médico|0.4; Professor|0.6; Professora|0.6; Comprador|0.8; Recepcionista|0.4; "
    "Designer|0.6; Product Manager|0.5; Product Owner|0.5; Scrum Master|0.3; Arquiteto de Software|0.4; "
    "Analista de Sistemas|1.5; Analista Financeiro|1.5; Analista Administrativo|1; Analista Comercial|1")
PT_LEVEL = Pick("Júnior|2; Pleno|2; Sênior|2; Jr|1; Pl|0.5; Sr|1; Jr.|0.5; Sr.|0.5; I|0.5; II|0.5; III|0.3")
PT_EXEC = Pick(
    "CEO|6; Diretor Executivo|2; Diretor Geral|2; Diretora Geral|0.6; Diretor Presidente|1; Sócio-Fundador|2; "
    "Sócio Fundador|1; Fundador|2; Fundadora|0.8; Cofundador|1; Co-fundador|0.6; Sócio|2; Sócia|0.8; "
    "Sócio-Diretor|1; Sócio Diretor|0.6; Dono|0.8; Proprietário|1; Proprietária|0.4; Presidente|1.5; "
    "Empresário|1; Empresária|0.5; Diretor Comercial|3; Diretora Comercial|1; Diretor Financeiro|1.5; "
    "Diretor de Operações|0.8; CTO|1; CFO|0.5; Gerente Geral|1; Superintendente|0.5; Vice-Presidente|0.3; "
    "Autônomo|0.5; Fundador e CEO|0.4")
PT_REGION = Pick("Brasil|2; LATAM|2; América Latina|0.8; São Paulo|1; SP|1; RJ|0.5; Sul|0.6; Nordeste|0.4; "
                 "Portugal|0.5; Lisboa|0.3; Regional Sul|0.3")

LANGUAGE = Pick("en|70; fr|8; de|10; es|7; pt|5")
KIND = Pick("ic|55; lead|33; exec|8; multi|4")
QUALIFIED = {"en": 0.16, "fr": 0.10, "de": 0.12, "es": 0.08, "pt": 0.08}
REGION = {"en": EN_REGION, "fr": FR_REGION, "de": DE_REGION, "es": ES_REGION, "pt": PT_REGION}
EMOJI = Pick("🚀|3; ✨|1; 💡|1; 🌍|1; 📈|1")


def english(u, kind: str) -> str:
    f = EN_FUNCTION(u())
    if kind == "ic":
        level, spec = EN_LEVEL(u()), EN_SPEC[f](u()) if u() < 0.35 else ""
        return " ".join(w for w in (level, spec, EN_ROLE[f](u())) if w)
    if kind == "lead":
        return fill(EN_LEAD(u()), EN_AREA[f](u()))
    if kind == "exec":
        return EN_EXEC(u())
    second = EN_EXEC(u()) if u() < 0.3 else fill(EN_LEAD(u()), EN_AREA[f](u()))
    return EN_FIRST_ROLE(u()) + ROLE_SEP(u()) + second


def french(u, kind: str) -> str:
    if kind == "ic":
        role, level = FR_ROLE(u()), FR_LEVEL(u()) if u() < 0.2 else ""
        return f"{role} {level}".strip() if u() < 0.8 else f"{level} {role}".strip()
    if kind == "lead":
        return fill(FR_LEAD(u()), FR_AREA(u()))
    if kind == "exec":
        return FR_EXEC(u())
    return FR_EXEC(u()) + ROLE_SEP(u()) + (FR_EXEC(u()) if u() < 0.5 else fill(FR_LEAD(u()), FR_AREA(u())))


def german(u, kind: str) -> str:
    def form(pick) -> str:
        c, n, _ = DE_AREAS[DE_AREA(u())]
        text = pick(u()).replace("{n}", n).replace("{n2}", DE_AREAS[DE_AREA(u())][1])
        if c.endswith("-") and "{c}" in text:  # "IT-Leiter", sometimes "IT Leiter" or "IT-leiter"
            r = u()
            head = text.split("{c}", 1)[1]
            text = text.replace("{c}" + head, c + head[:1].upper() + head[1:] if r < 0.8
                                else c[:-1] + " " + head[:1].upper() + head[1:] if r < 0.93 else c + head)
        return text.replace("{c}", c)

    if kind == "ic":
        if u() < 0.5:
            return form(DE_IC)
        role = DE_ROLE(u())
        return f"{DE_LEVEL(u())} {role}" if u() < 0.15 else role
    if kind == "lead":
        return form(DE_LEAD)
    if kind == "exec":
        return DE_EXEC(u())
    return DE_EXEC(u()) + ROLE_SEP(u()) + (DE_EXEC(u()) if u() < 0.5 else form(DE_LEAD))


def iberian(u, kind: str, lead: Pick, area: Pick, role: Pick, level: Pick, exec_: Pick) -> str:
    if kind == "ic":
        text = fill(lead(u()), area(u())) if u() < 0.3 else role(u())
        return f"{text} {level(u())}" if u() < 0.25 else text
    if kind == "lead":
        return fill(lead(u()), area(u()))
    if kind == "exec":
        return exec_(u())
    return exec_(u()) + ROLE_SEP(u()) + (exec_(u()) if u() < 0.5 else fill(lead(u()), area(u())))


def draft(u) -> str:
    """One title from the generative model; ``u()`` gives the next uniform."""
    language, kind = LANGUAGE(u()), KIND(u())
    if language != "en" and u() < 0.1:  # English titles are common everywhere
        language = "en"
    if language == "en":
        title = english(u, kind)
        if u() < 0.12:  # abbreviations: "Sr. Mktg Mgr", "VP Eng"
            for long, short in EN_ABBREV:
                if long in title and u() < 0.7:
                    title = title.replace(long, short[int(u() * len(short))])
    elif language == "fr":
        title = french(u, kind)
    elif language == "de":
        title = german(u, kind)
        r = u()  # spelling without umlauts: "Geschaeftsfuehrer", "Geschaftsfuhrer", "ss" for "ß"
        if r < 0.05:
            title = title.translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae",
                                                   "Ö": "Oe", "Ü": "Ue"}))
        elif r < 0.08:
            title = "".join(c for c in unicodedata.normalize("NFKD", title) if not unicodedata.combining(c))
    elif language == "es":
        title = iberian(u, kind, ES_LEAD, ES_AREA, ES_ROLE, ES_LEVEL, ES_EXEC)
    else:
        title = iberian(u, kind, PT_LEAD, PT_AREA, PT_ROLE, PT_LEVEL, PT_EXEC)
    if u() < QUALIFIED[language]:  # region, team, contract: "Head of Sales - DACH", "(m/w/d)"
        sep, region = QUAL_SEP(u()), REGION[language](u())
        title = f"{title}{sep}{region})" if sep == " (" and not region.startswith("(") else title + sep + region
    r = u()  # casing and clutter as typed into CRMs
    if r < 0.02:
        title = title.upper()
    elif r < 0.035:
        title = title.lower()
    elif r < 0.045:
        title = title[:1].upper() + title[1:].lower()
    elif r < 0.05:
        title = title.replace(" ", "  ", 1)
    elif r < 0.054:
        title = f" {title} "
    elif r < 0.057:
        title += "."
    elif r < 0.059:
        title = f"{title} {EMOJI(u())}"
    return title


def population(size: int, seed: int) -> list[str]:
    """``size`` distinct titles, most frequent under the generative model first.

    Drafts are written until there are ``size`` distinct ones; they are ranked by how often
    they came up (ties: first come first), so "CEO" heads the list and the oddities trail.
    """
    rng = np.random.default_rng([seed, 7])
    seen: dict[str, int] = {}
    while len(seen) < size:
        for row in rng.random((50_000, 64)).tolist():  # more uniforms than a draft uses
            title = draft(iter(row).__next__)
            seen[title] = seen.get(title, 0) + 1
    return sorted(seen, key=seen.__getitem__, reverse=True)[:size]  # stable: ties keep first-seen order


def population_size() -> int:
    """How many ranks the Zipf law needs so that REFERENCE_ROWS rows hold ~DISTINCT titles."""
    filled = REFERENCE_ROWS * (1 - NULL_SHARE - BLANK_SHARE)

    def expected_distinct(size: int) -> float:
        w = 1.0 / (np.arange(size) + Q) ** S
        return float((1 - np.exp(-filled * w / w.sum())).sum())

    lo, hi = DISTINCT, 50 * DISTINCT
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if expected_distinct(mid) < DISTINCT else (lo, mid)
    return hi


def generate(path: Path, rows: int, seed: int) -> None:
    size = population_size()
    titles = pa.array(population(size, seed), pa.string())
    rng = np.random.default_rng([seed, 8])
    w = 1.0 / (np.arange(size) + Q) ** S
    cum = np.cumsum(w / w.sum())
    ranks = np.minimum(np.searchsorted(cum, rng.random(rows), side="right"), size - 1)
    column = titles.take(pa.array(ranks))
    r = rng.random(rows)
    blank_w = np.cumsum([w for _, w in BLANKS]) / sum(w for _, w in BLANKS)
    blank = pa.array([b for b, _ in BLANKS], pa.string()).take(
        pa.array(np.minimum(np.searchsorted(blank_w, rng.random(rows), side="right"), len(BLANKS) - 1)))
    column = pc.if_else(pa.array(r < NULL_SHARE + BLANK_SHARE), blank, column)
    column = pc.if_else(pa.array(r < NULL_SHARE), pa.nulls(rows, pa.string()), column)
    ids = pa.array([f"c{i:08d}" for i in range(rows)], pa.string())
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"id": ids, "job_title": column}), path, row_group_size=250_000)


def dataset(rows: int, seed: int) -> Path:
    folder = HERE / ".data" / f"titles-v{VERSION}-{rows}-seed{seed}"
    path, done = folder / "contacts.parquet", folder / ".complete"
    if not done.exists():
        print(f"generating {rows:,} job titles ...", flush=True)
        started = time.perf_counter()
        generate(path, rows, seed)
        done.touch()
        print(f"  done in {time.perf_counter() - started:.1f} s: {path}", flush=True)
    return path


# ---------------------------------------------------------------------------
# the three ways to label the batches
# ---------------------------------------------------------------------------
def engine(batches: list[pa.Table]) -> list[pa.Table]:
    """The enricher as the engine runs it: one instance per run, enrich() per batch."""
    enricher = JobTitle(Settings(), context=None)
    return [enricher.enrich(batch) for batch in batches]


def floor(batches: list[pa.Table], labels: pl.DataFrame) -> list[pa.Table]:
    """enrich() with every title already known: its final join and column appends only."""
    out = []
    for batch in batches:
        titles = pl.from_arrow(batch.select(["job_title"])).with_columns(pl.col("job_title").cast(pl.String))
        joined = titles.join(labels, on="job_title", how="left", maintain_order="left")
        for name in OUTPUTS:
            batch = batch.append_column(name, joined.get_column(name).to_arrow().cast(pa.string()))
        out.append(batch)
    return out


def classify_every_row(parser: TitleParser, titles: pl.Series) -> pl.DataFrame:
    """The parser's own steps without de-duplication: every row is its own key.

    classify() labels each distinct title once; here each row (its row number) is a key, so
    folding, normalising, matching and deciding run once per row, duplicates and all.
    """
    rows = titles.to_frame("job_title").with_row_index("_row")
    titled = rows.drop_nulls("job_title")
    labels = parser.label(titled.get_column("_row"), titled.get_column("job_title")).rename({"_key": "_row"})
    # what enrich() does with classify()'s result: put the labels back on the rows, in order
    return rows.join(labels, on="_row", how="left", maintain_order="left")


def no_dedup(batches: list[pa.Table]) -> list[pa.Table]:
    """(a): as enrich(), but every row of every batch goes through the parser."""
    parser = TitleParser()
    out = []
    for batch in batches:
        titles = pl.from_arrow(batch.select(["job_title"])).with_columns(pl.col("job_title").cast(pl.String))
        labels = classify_every_row(parser, titles.get_column("job_title"))
        for name in OUTPUTS:
            batch = batch.append_column(name, labels.get_column(name).to_arrow().cast(pa.string()))
        out.append(batch)
    return out


def differing(got: list[pa.Table], expected: list[pa.Table]) -> int:
    """Rows whose seniority, department or title_reasons differ (null equals null only)."""
    a = pl.from_arrow(pa.concat_tables(got).select(list(OUTPUTS)))
    b = pl.from_arrow(pa.concat_tables(expected).select(list(OUTPUTS)))
    if a.height != b.height:
        return max(a.height, b.height)
    return a.select(pl.any_horizontal(pl.col(n).ne_missing(b.get_column(n)) for n in OUTPUTS).sum()).item()


def timed(fn, *args):
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def describe(frame: pl.DataFrame, batch_size: int) -> None:
    col = frame.get_column("job_title")
    counts = col.drop_nulls().value_counts(sort=True, name="n")
    filled = col.drop_nulls().len()
    nulls = col.null_count()
    blank = col.is_in([b for b, _ in BLANKS]).sum()
    top = counts.row(0)
    print(f"  {frame.height:,} rows, {counts.height:,} distinct titles; {nulls / frame.height:.1%} null, "
          f"{blank / frame.height:.1%} empty or a placeholder; "
          f"most common {top[0]!r} {top[1] / filled:.1%} of titled rows, top 100 "
          f"{counts.get_column('n').head(100).sum() / filled:.0%}; "
          f"{(counts.get_column('n') == 1).sum() / counts.height:.0%} of distinct titles occur once")
    seen: set = set()
    new = []
    for start in range(0, frame.height, batch_size):
        distinct = set(col.slice(start, batch_size).drop_nulls().unique().to_list())
        new.append(len(distinct - seen))
        seen |= distinct
    print(f"  new distinct titles per batch of {batch_size:,} (what the engine classifies): "
          + ", ".join(f"{n:,}" for n in new))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=21)
    ap.add_argument("--batch-size", type=int, default=100_000, help="the engine's default batch size")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    frame = pl.read_parquet(dataset(args.rows, args.seed))
    # the engine hands enrich() polars' Arrow export of each batch (large_string columns)
    batches = [frame.slice(s, args.batch_size).to_arrow() for s in range(0, frame.height, args.batch_size)]
    print(f"\njob titles: {args.rows:,} contacts in batches of {args.batch_size:,}, {args.repeat} rounds")
    describe(frame, args.batch_size)
    # the floor's table: every distinct title classified once, outside the timing, in one
    # contiguous table, as the engine keeps its own (a join against many chunks is slower)
    labels = TitleParser().classify(frame.get_column("job_title")).rechunk()
    before = peak_mib()

    times: dict[str, list[float]] = {"engine": [], "a": [], "b": []}
    bad = {"engine": 0, "a": 0}
    after_engine = before
    for i in range(args.repeat):
        seconds, out_engine = timed(engine, batches)
        times["engine"].append(seconds)
        if i == 0:
            after_engine = peak_mib()
        seconds, out_floor = timed(floor, batches, labels)
        times["b"].append(seconds)
        seconds, out_a = timed(no_dedup, batches)
        times["a"].append(seconds)
        bad["engine"] += differing(out_engine, out_floor)  # outside the timing
        bad["a"] += differing(out_a, out_floor)
        del out_engine, out_floor, out_a
        print(f"  round {i + 1}: engine {times['engine'][-1]:.2f} s, (a) no de-dup {times['a'][-1]:.2f} s, "
              f"(b) floor {times['b'][-1]:.3f} s", flush=True)
    print(f"  check: engine labels vs floor, {bad['engine']} differing rows over {args.repeat} rounds of "
          f"{args.rows:,}; (a) vs floor, {bad['a']} differing rows")

    med = {k: statistics.median(v) for k, v in times.items()}
    # each engine run is paired with the floor and (a) runs of the same round: drift cancels
    ratio_floor = sorted(e / b for e, b in zip(times["engine"], times["b"]))
    ratio_a = sorted(a / e for a, e in zip(times["a"], times["engine"]))
    n = args.rows
    print(f"\njob-title parser, {n:,} contacts, {labels.height:,} distinct titles (median of {args.repeat}):")
    print(f"  engine (JobTitle.enrich, per-run cache)   {med['engine']:7.3f} s  {n / med['engine']:12,.0f} rows/s")
    print(f"  (a) no de-duplication (every row parsed)  {med['a']:7.3f} s  {n / med['a']:12,.0f} rows/s")
    print(f"  (b) floor (join precomputed labels)       {med['b']:7.3f} s  {n / med['b']:12,.0f} rows/s")
    print(f"  ratio engine / (b)                        {statistics.median(ratio_floor):7.2f}   "
          f"(median of rounds, range {ratio_floor[0]:.2f}-{ratio_floor[-1]:.2f}; target <= 2.00)")
    print(f"  ratio (a) / engine                        {statistics.median(ratio_a):7.2f}   "
          f"(median of rounds, range {ratio_a[0]:.2f}-{ratio_a[-1]:.2f})")
    print(f"  peak RSS (whole process, ru_maxrss): {before:,.0f} MiB before the rounds (data, floor table), "
          f"{after_engine:,.0f} MiB after the first engine run, {peak_mib():,.0f} MiB at the end (after (a))")


if __name__ == "__main__":
    sys.exit(main())
