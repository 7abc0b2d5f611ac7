from shared.migrations import run_env
from signature.models import Base

run_env(Base.metadata)
