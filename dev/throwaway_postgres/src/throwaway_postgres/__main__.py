from throwaway_postgres.cli import main

raise SystemExit(main())
