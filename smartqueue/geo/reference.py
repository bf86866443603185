"""Senegal's administrative division after the ANSD; coordinates approximate (chief towns)."""


REGIONS = [
    {"code": "DK", "name": "Dakar", "lat": 14.6928, "lon": -17.4467, "departments": [
        {"name": "Dakar", "lat": 14.6928, "lon": -17.4467, "communes": [
            # Arrondissement de Dakar Plateau
            {"name": "Plateau", "lat": 14.6681, "lon": -17.4344, "traffic_factor": 2.5},
            {"name": "Médina", "lat": 14.6807, "lon": -17.4490, "traffic_factor": 2.2},
            {"name": "Gorée", "lat": 14.6672, "lon": -17.3986, "traffic_factor": 1.0},
            {"name": "Fann-Point E-Amitié", "lat": 14.6930, "lon": -17.4600, "traffic_factor": 1.0},
            {"name": "Gueule Tapée-Fass-Colobane", "lat": 14.6885, "lon": -17.4505, "traffic_factor": 1.0},
            # Arrondissement de Grand Dakar
            {"name": "Grand Dakar", "lat": 14.7035, "lon": -17.4470, "traffic_factor": 1.0},
            {"name": "Biscuiterie", "lat": 14.7105, "lon": -17.4405, "traffic_factor": 1.0},
            {"name": "Dieuppeul-Derklé", "lat": 14.7180, "lon": -17.4560, "traffic_factor": 1.0},
            {"name": "HLM", "lat": 14.7090, "lon": -17.4500, "traffic_factor": 1.0},
            {"name": "Hann Bel-Air", "lat": 14.7120, "lon": -17.4280, "traffic_factor": 1.0},
            {"name": "Sicap-Liberté", "lat": 14.7160, "lon": -17.4625, "traffic_factor": 1.0},
            # Arrondissement des Almadies
            {"name": "Mermoz-Sacré-Cœur", "lat": 14.7080, "lon": -17.4760, "traffic_factor": 1.0},
            {"name": "Ouakam", "lat": 14.7225, "lon": -17.4895, "traffic_factor": 1.0},
            {"name": "Ngor", "lat": 14.7495, "lon": -17.5140, "traffic_factor": 1.0},
            {"name": "Yoff", "lat": 14.7575, "lon": -17.4710, "traffic_factor": 1.0},
            # Arrondissement des Parcelles Assainies
            {"name": "Grand Yoff", "lat": 14.7345, "lon": -17.4500, "traffic_factor": 1.0},
            {"name": "Parcelles Assainies", "lat": 14.7640, "lon": -17.4400, "traffic_factor": 1.8},
            {"name": "Cambérène", "lat": 14.7700, "lon": -17.4270, "traffic_factor": 1.0},
            {"name": "Patte d'Oie", "lat": 14.7470, "lon": -17.4440, "traffic_factor": 1.0},
        ]},
        {"name": "Guédiawaye", "lat": 14.7769, "lon": -17.3950, "communes": [
            {"name": "Golf Sud", "lat": 14.7745, "lon": -17.3920, "traffic_factor": 1.9},
            {"name": "Médina Gounass", "lat": 14.7655, "lon": -17.3850, "traffic_factor": 1.9},
            {"name": "Ndiarème Limamoulaye", "lat": 14.7760, "lon": -17.4010, "traffic_factor": 1.9},
            {"name": "Sam Notaire", "lat": 14.7850, "lon": -17.3950, "traffic_factor": 1.9},
            {"name": "Wakhinane Nimzatt", "lat": 14.7780, "lon": -17.3800, "traffic_factor": 1.9},
        ]},
        {"name": "Keur Massar", "lat": 14.7820, "lon": -17.3110, "communes": [
            {"name": "Keur Massar Nord", "lat": 14.7870, "lon": -17.3120, "traffic_factor": 1.5},
            {"name": "Keur Massar Sud", "lat": 14.7760, "lon": -17.3100, "traffic_factor": 1.5},
            {"name": "Malika", "lat": 14.7960, "lon": -17.3360, "traffic_factor": 1.0},
            {"name": "Yeumbeul Nord", "lat": 14.7830, "lon": -17.3520, "traffic_factor": 1.0},
            {"name": "Yeumbeul Sud", "lat": 14.7735, "lon": -17.3450, "traffic_factor": 1.0},
            {"name": "Jaxaay-Parcelles", "lat": 14.7700, "lon": -17.2850, "traffic_factor": 1.0},
        ]},
        {"name": "Pikine", "lat": 14.7549, "lon": -17.3907, "communes": [
            {"name": "Pikine Est", "lat": 14.7530, "lon": -17.3880, "traffic_factor": 2.1},
            {"name": "Pikine Nord", "lat": 14.7600, "lon": -17.3950, "traffic_factor": 2.1},
            {"name": "Pikine Ouest", "lat": 14.7500, "lon": -17.4000, "traffic_factor": 2.1},
            {"name": "Dalifort", "lat": 14.7405, "lon": -17.4140, "traffic_factor": 1.0},
            {"name": "Djiddah Thiaroye Kao", "lat": 14.7640, "lon": -17.3760, "traffic_factor": 1.0},
            {"name": "Guinaw Rails Nord", "lat": 14.7520, "lon": -17.3720, "traffic_factor": 1.0},
            {"name": "Guinaw Rails Sud", "lat": 14.7460, "lon": -17.3700, "traffic_factor": 1.0},
            {"name": "Thiaroye Gare", "lat": 14.7530, "lon": -17.3560, "traffic_factor": 1.0},
            {"name": "Thiaroye sur Mer", "lat": 14.7445, "lon": -17.3440, "traffic_factor": 1.0},
            {"name": "Tivaouane Diacksao", "lat": 14.7575, "lon": -17.3420, "traffic_factor": 1.0},
            {"name": "Diamaguène Sicap Mbao", "lat": 14.7575, "lon": -17.3280, "traffic_factor": 1.0},
            {"name": "Mbao", "lat": 14.7390, "lon": -17.3235, "traffic_factor": 1.0},
        ]},
        {"name": "Rufisque", "lat": 14.7153, "lon": -17.2733, "communes": [
            {"name": "Rufisque Est", "lat": 14.7180, "lon": -17.2650, "traffic_factor": 1.6},
            {"name": "Rufisque Nord", "lat": 14.7270, "lon": -17.2760, "traffic_factor": 1.6},
            {"name": "Rufisque Ouest", "lat": 14.7120, "lon": -17.2850, "traffic_factor": 1.6},
            {"name": "Bargny", "lat": 14.6980, "lon": -17.2290, "traffic_factor": 1.0},
            {"name": "Sendou", "lat": 14.6905, "lon": -17.2060, "traffic_factor": 1.0},
            {"name": "Diamniadio", "lat": 14.7225, "lon": -17.1840, "traffic_factor": 1.2},
            {"name": "Sébikotane", "lat": 14.7465, "lon": -17.1360, "traffic_factor": 1.0},
            {"name": "Sangalkam", "lat": 14.7850, "lon": -17.2260, "traffic_factor": 1.0},
            {"name": "Bambilor", "lat": 14.7725, "lon": -17.1960, "traffic_factor": 1.0},
            {"name": "Tivaouane Peulh-Niaga", "lat": 14.8050, "lon": -17.2750, "traffic_factor": 1.0},
            {"name": "Yène", "lat": 14.6600, "lon": -17.1700, "traffic_factor": 1.0},
        ]},
    ]},
    {"code": "TH", "name": "Thiès", "lat": 14.7910, "lon": -16.9359, "departments": [
        {"name": "Mbour", "lat": 14.4167, "lon": -16.9667, "communes": []},
        {"name": "Thiès", "lat": 14.7910, "lon": -16.9359, "communes": []},
        {"name": "Tivaouane", "lat": 14.9500, "lon": -16.8167, "communes": []},
    ]},
    {"code": "SL", "name": "Saint-Louis", "lat": 16.0326, "lon": -16.4818, "departments": [
        {"name": "Dagana", "lat": 16.5167, "lon": -15.5000, "communes": []},
        {"name": "Podor", "lat": 16.6500, "lon": -14.9667, "communes": []},
        {"name": "Saint-Louis", "lat": 16.0326, "lon": -16.4818, "communes": []},
    ]},
    {"code": "DB", "name": "Diourbel", "lat": 14.6550, "lon": -16.2314, "departments": [
        {"name": "Bambey", "lat": 14.7000, "lon": -16.4500, "communes": []},
        {"name": "Diourbel", "lat": 14.6550, "lon": -16.2314, "communes": []},
        {"name": "Mbacké", "lat": 14.7906, "lon": -15.9083, "communes": []},
    ]},
    {"code": "LG", "name": "Louga", "lat": 15.6144, "lon": -16.2286, "departments": [
        {"name": "Kébémer", "lat": 15.3667, "lon": -16.4500, "communes": []},
        {"name": "Linguère", "lat": 15.3950, "lon": -15.1194, "communes": []},
        {"name": "Louga", "lat": 15.6144, "lon": -16.2286, "communes": []},
    ]},
    {"code": "FK", "name": "Fatick", "lat": 14.3390, "lon": -16.4111, "departments": [
        {"name": "Fatick", "lat": 14.3390, "lon": -16.4111, "communes": []},
        {"name": "Foundiougne", "lat": 14.1333, "lon": -16.4667, "communes": []},
        {"name": "Gossas", "lat": 14.4958, "lon": -16.0661, "communes": []},
    ]},
    {"code": "KL", "name": "Kaolack", "lat": 14.1520, "lon": -16.0726, "departments": [
        {"name": "Guinguinéo", "lat": 14.2667, "lon": -15.9500, "communes": []},
        {"name": "Kaolack", "lat": 14.1520, "lon": -16.0726, "communes": []},
        {"name": "Nioro du Rip", "lat": 13.7500, "lon": -15.7833, "communes": []},
    ]},
    {"code": "KA", "name": "Kaffrine", "lat": 14.1059, "lon": -15.5508, "departments": [
        {"name": "Birkelane", "lat": 14.1319, "lon": -15.7439, "communes": []},
        {"name": "Kaffrine", "lat": 14.1059, "lon": -15.5508, "communes": []},
        {"name": "Koungheul", "lat": 13.9833, "lon": -14.8000, "communes": []},
        {"name": "Malem-Hodar", "lat": 14.0883, "lon": -15.2950, "communes": []},
    ]},
    {"code": "TC", "name": "Tambacounda", "lat": 13.7707, "lon": -13.6673, "departments": [
        {"name": "Bakel", "lat": 14.9000, "lon": -12.4500, "communes": []},
        {"name": "Goudiry", "lat": 14.1833, "lon": -12.7167, "communes": []},
        {"name": "Koumpentoum", "lat": 13.9833, "lon": -14.5500, "communes": []},
        {"name": "Tambacounda", "lat": 13.7707, "lon": -13.6673, "communes": []},
    ]},
    {"code": "KE", "name": "Kédougou", "lat": 12.5579, "lon": -12.1743, "departments": [
        {"name": "Kédougou", "lat": 12.5579, "lon": -12.1743, "communes": []},
        {"name": "Salémata", "lat": 12.6333, "lon": -12.8167, "communes": []},
        {"name": "Saraya", "lat": 12.8333, "lon": -11.7500, "communes": []},
    ]},
    {"code": "KD", "name": "Kolda", "lat": 12.8983, "lon": -14.9412, "departments": [
        {"name": "Kolda", "lat": 12.8983, "lon": -14.9412, "communes": []},
        {"name": "Médina Yoro Foulah", "lat": 13.2833, "lon": -14.7167, "communes": []},
        {"name": "Vélingara", "lat": 13.1500, "lon": -14.1167, "communes": []},
    ]},
    {"code": "SE", "name": "Sédhiou", "lat": 12.7081, "lon": -15.5569, "departments": [
        {"name": "Bounkiling", "lat": 13.0431, "lon": -15.6931, "communes": []},
        {"name": "Goudomp", "lat": 12.5781, "lon": -15.8761, "communes": []},
        {"name": "Sédhiou", "lat": 12.7081, "lon": -15.5569, "communes": []},
    ]},
    {"code": "ZG", "name": "Ziguinchor", "lat": 12.5833, "lon": -16.2719, "departments": [
        {"name": "Bignona", "lat": 12.8100, "lon": -16.2264, "communes": []},
        {"name": "Oussouye", "lat": 12.4850, "lon": -16.5469, "communes": []},
        {"name": "Ziguinchor", "lat": 12.5833, "lon": -16.2719, "communes": []},
    ]},
    {"code": "MT", "name": "Matam", "lat": 15.6559, "lon": -13.2554, "departments": [
        {"name": "Kanel", "lat": 15.4919, "lon": -13.1764, "communes": []},
        {"name": "Matam", "lat": 15.6559, "lon": -13.2554, "communes": []},
        {"name": "Ranérou-Ferlo", "lat": 15.3000, "lon": -13.9667, "communes": []},
    ]},
]
