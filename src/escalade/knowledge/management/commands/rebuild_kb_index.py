from django.core.management.base import BaseCommand

from escalade.core.actors import system
from escalade.knowledge import services


class Command(BaseCommand):
    help = "Recompute the search text of every knowledge-base article and rebuild the index."

    def handle(self, *args, **options):
        count = services.rebuild_index(system("manage:rebuild_kb_index"))
        self.stdout.write(f"indexed {count} article translations")
